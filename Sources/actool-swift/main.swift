import ActoolCLI
import Glibc

exit(Actool.main(arguments: CommandLine.arguments))
