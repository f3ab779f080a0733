from strmline.cli import main

main()
