import Glibc
import RktCLI

exit(Rkt.main(arguments: CommandLine.arguments))
