import ArgumentParser

@main
struct Gradscope: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradscope",
        abstract: "Reproduce, watch and diagnose exploding and vanishing gradients.",
        subcommands: [RunCommand.self, BenchCommand.self])
}
