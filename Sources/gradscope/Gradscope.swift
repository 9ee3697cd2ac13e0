import ArgumentParser
import Foundation
import GradscopeEngine

@main
struct Gradscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradscope",
        abstract: "Reproduce, watch and diagnose exploding and vanishing gradients.",
        subcommands: [RunCommand.self, CompareCommand.self, ServeCommand.self, WorkerCommand.self, MigrateCommand.self,
                      BenchCommand.self])

    static func main() {
        useBestMatrixKernels()
        main(nil)
    }

    /// OpenBLAS picks its kernels when it loads, from `OPENBLAS_CORETYPE` or
    /// by detecting the processor; on processors newer than the library it
    /// falls back to SSE3 kernels. Then gradscope sets the variable and
    /// restarts itself once, before doing anything else. A variable the user
    /// set is always respected.
    static func useBestMatrixKernels() {
        guard getenv("OPENBLAS_CORETYPE") == nil, let core = MatrixLibrary.betterCoreType else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
        // execv returns only on failure: carry on with the kernels we have.
    }
}
