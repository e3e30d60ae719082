using System.CommandLine;

var root = new RootCommand("""
    kargo-offline installs a Kargo air-gap bundle on an isolated node.

    This release has no commands yet: verify, unpack, serve and install arrive with the
    signing and installer work. Build bundles with kargo-bundle on a connected host.
    """);
return await root.Parse(args).InvokeAsync();
