import Glibc
import LinuxSystem
import RktCLI

// As Go programs do at start: the open-file limit raised to its hard limit. Walking an
// image's tree keeps a directory descriptor open per level, and images nest deep.
OpenFileLimit.raise()
exit(Rkt.main(arguments: CommandLine.arguments))
