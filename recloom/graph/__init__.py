"""Graph structures of the workflows: the Tree of Preferences, behaviour cliques, max-coverage."""
