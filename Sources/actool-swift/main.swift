import ActoolCLI
import Glibc
import LinuxSystem

// As Go programs do at start: the open-file limit raised to its hard limit. Walking an
// image's tree keeps a directory descriptor open per level, and images nest deep.
OpenFileLimit.raise()
exit(Actool.main(arguments: CommandLine.arguments))
