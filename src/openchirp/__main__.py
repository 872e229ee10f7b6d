from openchirp.cli import main

main()
