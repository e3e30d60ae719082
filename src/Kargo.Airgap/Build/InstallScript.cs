using Kargo.Airgap.Bundle;

namespace Kargo.Airgap.Build;

/// <summary>
/// The small install.sh written beside a bundle that carries kargo-offline: it checks the signature
/// with openssl, then the binary's sha256 against the one written into the script and, as a value,
/// in the signed inventory, and only then runs it. It never parses JSON, so no layout of the
/// inventory's text can mislead it. The stick is all the node needs.
/// </summary>
public static class InstallScript
{
    /// <summary>The script's name beside the bundle.</summary>
    public static string PathFor(string bundlePath, Inventory inventory) =>
        Path.Combine(Path.GetDirectoryName(bundlePath)!, $"install-{inventory.Name}-{inventory.Version}.sh");

    public static string Write(string bundlePath, Inventory inventory)
    {
        var path = PathFor(bundlePath, inventory);
        AtomicFile.WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(Text(Path.GetFileName(bundlePath), inventory)),
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    public static string Text(string bundleFile, Inventory inventory) => Script(Quoted(bundleFile), inventory);

    /// <summary>
    /// The file name as one sh word in single quotes, so a space, quote or $ in it is only a name;
    /// a control character (a newline would end a comment line and start a command) is refused.
    /// </summary>
    private static string Quoted(string fileName) =>
        fileName.Any(char.IsControl)
            ? throw new KargoException($"the bundle's file name '{Terminal.Printable(fileName)}' has a control character, which install.sh cannot carry safely: choose another -o name")
            : "'" + fileName.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Script(string bundleFile, Inventory inventory) => $$"""
        #!/bin/sh
        # Installs {{inventory.Name}} {{inventory.Version}} on this node with the kargo-offline the bundle carries:
        # no .NET and no network needed.
        #
        #   sudo sh {{$"install-{inventory.Name}-{inventory.Version}.sh"}} --pub builder.pub [kargo-offline install options]
        #
        # Before anything runs, the bundle's signature is checked with openssl against --pub, then the
        # sha256 of the kargo-offline taken out of it against the signed inventory; kargo-offline then
        # checks every byte of the bundle as it installs. To check by hand first:
        #   tar -xf {{bundleFile}} --occurrence=1 kargo-bundle.json kargo-bundle.json.sig     (in parts: cat {{bundleFile}}.??? | tar -xf - …)
        #   base64 -d kargo-bundle.json.sig > sig.der
        #   openssl dgst -sha256 -verify builder.pub -signature sig.der kargo-bundle.json
        #   tar -xf {{bundleFile}} --occurrence=1 bin/linux-amd64/kargo-offline && sha256sum bin/linux-amd64/kargo-offline
        #   (it must be the "want" named for the node's machine below, which kargo-bundle.json lists too)
        set -eu
        here=$(cd "$(dirname "$0")" && pwd)
        bundle="$here"/{{bundleFile}}
        pubs=""
        insecure=""
        previous=""
        for argument in "$@"; do
          if [ "$previous" = "--pub" ]; then pubs="$pubs $argument"; fi
          case "$argument" in
            --pub=*) pubs="$pubs ${argument#--pub=}" ;;
            --insecure-skip-signature) insecure=yes ;;
          esac
          previous=$argument
        done
        if [ -z "$pubs" ] && [ -z "$insecure" ]; then
          echo "usage: sudo sh $0 --pub KEY.pub [kargo-offline install options]: the bundle's signature is checked against KEY.pub" >&2
          exit 2
        fi
        case $(uname -m) in
          x86_64|amd64) arch=amd64; want={{Sha256Of(inventory, "amd64")}} ;;
          aarch64|arm64) arch=arm64; want={{Sha256Of(inventory, "arm64")}} ;;
          *) echo "this node is $(uname -m); the bundle carries kargo-offline for {{string.Join(", ", inventory.Platforms)}}" >&2; exit 1 ;;
        esac
        if [ -z "$want" ]; then
          echo "the bundle carries no kargo-offline for linux/$arch; it carries one for {{string.Join(", ", CarriedArchitectures(inventory))}}" >&2
          exit 1
        fi
        entry="bin/linux-$arch/kargo-offline"
        read_bundle() {
          if [ -f "$bundle" ]; then cat "$bundle"; else cat "$bundle".[0-9][0-9][0-9]; fi
        }
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT INT TERM
        names="kargo-bundle.json $entry"
        if [ -z "$insecure" ]; then names="$names kargo-bundle.json.sig"; fi
        # shellcheck disable=SC2086
        if ! read_bundle | tar -xf - -C "$work" --occurrence=1 $names; then
          echo "cannot read $names from $bundle: is it signed, and built for linux/$arch with kargo-offline in it (--offline-bin)?" >&2
          exit 1
        fi
        if [ -z "$insecure" ]; then
          base64 -d "$work/kargo-bundle.json.sig" > "$work/signature.der"
          verified=""
          for pub in $pubs; do
            if openssl dgst -sha256 -verify "$pub" -signature "$work/signature.der" "$work/kargo-bundle.json" >/dev/null 2>&1; then verified=$pub; fi
          done
          if [ -z "$verified" ]; then
            echo "the bundle's signature does not verify with$pubs: it was altered, or signed by another key; nothing was run" >&2
            exit 1
          fi
          echo "signature verified with $verified" >&2
        fi
        got=$(sha256sum "$work/$entry" | cut -d' ' -f1)
        if [ "$got" != "$want" ]; then
          echo "$entry hashes to $got but the bundle was built with $want: nothing was run" >&2
          exit 1
        fi
        if ! grep -q -F "\"$got\"" "$work/kargo-bundle.json"; then
          echo "$entry hashes to $got, which the bundle's inventory does not list: nothing was run" >&2
          exit 1
        fi
        chmod 0755 "$work/$entry"
        status=0
        "$work/$entry" install "$bundle" "$@" || status=$?
        exit $status

        """;

    /// <summary>The sha256 of the kargo-offline carried for an architecture, or nothing.</summary>
    private static string? Sha256Of(Inventory inventory, string architecture) =>
        inventory.Entries.FirstOrDefault(e => e.Path == OfflineBinaries.EntryFor(architecture))?.Sha256;

    private static IEnumerable<string> CarriedArchitectures(Inventory inventory) =>
        new[] { "amd64", "arm64" }.Where(a => Sha256Of(inventory, a) is not null).Select(a => $"linux/{a}");
}
