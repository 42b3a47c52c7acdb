from recloom.cli.main import main

main()
