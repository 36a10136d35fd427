from ccsync.cli import main

main()
