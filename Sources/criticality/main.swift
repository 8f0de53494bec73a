import CriticalityCLI

CriticalityCommand.main()
