using System.Net;
using System.Text.Json;
using Kargo.Airgap.Bundle;
using Kargo.Airgap.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;
using static Kargo.Airgap.Tests.Infrastructure.Cli;

namespace Kargo.Airgap.Tests.Integration;

/// <summary>
/// spec.charts end to end: a chart from an HTTP chart repository and one from an OCI registry (both
/// stand-ins on 127.0.0.1), locked, built, verified and installed under --root on k3s, where a real
/// containerd pulls every image they run through the mirrors install wrote.
/// </summary>
public sealed class ChartTests : IDisposable
{
    private readonly Workspace _work = new();

    private const string WebValues = """
        image:
          registry: REGISTRY
          repository: apps/web
          tag: ""
        sidecar:
          image: REGISTRY/apps/web-sidecar:0.9
        worker:
          image:
            repository: REGISTRY/apps/worker
        imagePullPolicy: IfNotPresent
        replicas: 1
        """;

    /// <summary>What a chart repository and a registry publish: web 1.2.3 (HTTP, relative URL in its index) and db 16.1.0 (OCI).</summary>
    private sealed record Published(byte[] Web, byte[] Db, string Repo, string Oci);

    private static async Task<Published> PublishAsync(PlatformRelease release, TestRegistry registry, TestPusher pusher)
    {
        var web = TestCharts.Package("web", "1.2.3", "1.2.3", WebValues.Replace("REGISTRY", registry.Host, StringComparison.Ordinal),
            annotationImages: $"- name: migrate\n  image: {registry.Host}/apps/web-migrate:1.2.3");
        release.Server.Files["charts/index.yaml"] = System.Text.Encoding.UTF8.GetBytes(TestCharts.Index("web", "1.2.3", web, "packages/web-1.2.3.tgz"));
        release.Server.Files["charts/packages/web-1.2.3.tgz"] = web;
        var db = TestCharts.Package("db", "16.1.0", "16.1", $"image:\n  repository: {registry.Host}/tools/db\n");
        await pusher.PushAsync("charts/db", "16.1.0", TestCharts.OciArtifact("db", "16.1.0", db));
        foreach (var image in new[] { "apps/web:1.2.3", "apps/web:1.2.4", "apps/web-sidecar:0.9", "apps/worker:1.2.3", "apps/web-migrate:1.2.3", "tools/db:16.1" })
        {
            await pusher.PushAsync(image.Split(':')[0], image.Split(':')[1], TestImages.Image($"chart-image/{image}", layers: 1, layerSize: 4096));
        }
        return new Published(web, db, release.Server.Url("mirror/charts"), $"oci://{registry.Host}/charts/db");
    }

    /// <summary>The chart repository, the registry and what they publish, stopped together.</summary>
    private sealed class Upstream : IAsyncDisposable
    {
        public required TestRegistry Registry { get; init; }
        public required TestPusher Pusher { get; init; }
        public required PlatformRelease Release { get; init; }
        public required Published Published { get; init; }

        public static async Task<Upstream> StartAsync()
        {
            var registry = new TestRegistry();
            var pusher = new TestPusher(registry);
            var release = await PlatformRelease.StartAsync(registry, pusher);
            return new Upstream { Registry = registry, Pusher = pusher, Release = release, Published = await PublishAsync(release, registry, pusher) };
        }

        public async ValueTask DisposeAsync()
        {
            await Release.DisposeAsync();
            Pusher.Dispose();
            Registry.Dispose();
        }
    }

    /// <summary>A spec of charts alone (no cluster, no release assets).</summary>
    private void WriteChartsOnlySpec(string charts) => File.WriteAllText(_work.Spec, $"""
        kind: Bundle
        metadata: {"{"}name: charts-only, version: "1"{"}"}
        spec:
        {charts}
        """);

    private static string ChartsSection(Published published) => $"""
          charts:
            - name: web
              version: 1.2.3
              repo: {published.Repo}
              namespace: web
              values:
                image: {"{"}tag: "1.2.4"{"}"}
                replicas: 2
            - name: db
              version: 16.1.0
              oci: {published.Oci}
              releaseName: pg
              namespace: data
        """;

    /// <summary>What the stand-in helm prints for each release: the rendering helm would give with the spec's values.</summary>
    private void WriteRenderings(string registry)
    {
        Directory.CreateDirectory(_work["rendered"]);
        File.WriteAllText(_work["rendered/web.yaml"], $"""
            ---
            # Source: web/templates/deployment.yaml
            apiVersion: apps/v1
            kind: Deployment
            metadata: {"{"}name: web, namespace: web{"}"}
            spec:
              template:
                spec:
                  initContainers: [{"{"}name: migrate, image: {registry}/apps/web-migrate:1.2.3{"}"}]
                  containers:
                    - {"{"}name: web, image: {registry}/apps/web:1.2.4{"}"}
                    - {"{"}name: sidecar, image: {registry}/apps/web-sidecar:0.9{"}"}
            """);
        File.WriteAllText(_work["rendered/pg.yaml"], $"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata: {"{"}name: pg-db, namespace: data{"}"}
            spec:
              template:
                spec:
                  containers: [{"{"}name: db, image: {registry}/tools/db:16.1{"}"}]
            """);
    }

    [Fact]
    public async Task Charts_from_a_repository_and_a_registry_lock_build_verify_and_install_with_HelmChart_resources_and_every_image_pulls()
    {
        string registryHost;
        Published published;
        var helm = TestCharts.StandInHelm(_work["bin"], _work["helm-calls.log"], _work["rendered"]);
        using (var registry = new TestRegistry())
        using (var pusher = new TestPusher(registry))
        {
            await using var release = await PlatformRelease.StartAsync(registry, pusher);
            registryHost = registry.Host;
            published = await PublishAsync(release, registry, pusher);
            WriteRenderings(registry.Host);
            release.WriteSpec(_work.Spec, addOns: false, extra: ChartsSection(published));
            var locked = AssertOk(await _work.LockAsync("--release-mirror", release.MirrorUrl, "--helm", helm));
            Assert.Contains($"chart web 1.2.3 ({published.Repo}/packages/web-1.2.3.tgz) sha256:{PlatformRelease.Sha(published.Web)} (new, 3 images found by helm-template)", locked.Stdout);
            Assert.Contains($"chart db 16.1.0 ({published.Oci}@sha256:", locked.Stdout);
            Assert.Contains($"{registryHost}/apps/web:1.2.4 sha256:", locked.Stdout);
            Assert.Contains("found by container-image in charts/web-1.2.3.tgz (helm template): Deployment web", locked.Stdout);

            // helm rendered each chart from its cached archive, as its release, with the spec's values.
            var calls = File.ReadAllText(_work["helm-calls.log"]);
            Assert.Matches($@"ARGS template web {_work.Cache}/\S+ --namespace web --values /\S+kargo-values-\S+\.yaml", calls);
            Assert.Matches($@"ARGS template pg {_work.Cache}/\S+ --namespace data\n", calls);
            var given = new YamlStream();
            given.Load(new StringReader(calls.Split("VALUES\n")[1].Split("END\n")[0]));
            Assert.Equal(("1.2.4", "2"), (given.Documents[0].RootNode["image"]["tag"].ToString(), given.Documents[0].RootNode["replicas"].ToString()));

            var lockJson = JsonDocument.Parse(File.ReadAllText(_work.Lock)).RootElement.GetProperty("charts");
            Assert.Equal(["db", "web"], lockJson.EnumerateArray().Select(c => c.GetProperty("name").GetString()).Order());
            Directory.CreateDirectory(_work["keys"]);
            AssertOk(await BundleAsync("keygen", "--out", _work["keys/builder"]));
            AssertOk(await _work.BuildAsync("--locked", "--release-mirror", release.MirrorUrl, "--helm", helm, "--key", _work["keys/builder.key"]));
        }
        // Across the air gap: the repository and the registry are gone.
        AssertOk(await OfflineAsync("verify", _work.Output, "--pub", _work["keys/builder.pub"]));
        var inventory = BundleReader.ReadSummary(_work.Output).Inventory;
        Assert.Contains(inventory.Entries, e => e.Path == "charts/web-1.2.3.tgz" && e.Sha256 == PlatformRelease.Sha(published.Web));
        Assert.Contains(inventory.Entries, e => e.Path == "charts/db-16.1.0.tgz" && e.Sha256 == PlatformRelease.Sha(published.Db));
        Assert.Contains(inventory.Entries, e => e.Path == "charts/web-1.2.3.values.yaml");
        var web = Assert.Single(inventory.Charts!, c => c.Name == "web");
        Assert.Equal(("web", "web", "helm-template"), (web.ReleaseName, web.Namespace, web.FoundBy));
        Assert.Equal([$"{registryHost}/apps/web-migrate:1.2.3", $"{registryHost}/apps/web-sidecar:0.9", $"{registryHost}/apps/web:1.2.4"], web.Images);
        var inspect = AssertOk(await BundleAsync("inspect", _work.Output)).Stdout;
        Assert.Contains("charts (2):", inspect);
        Assert.Contains("db 16.1.0: release pg in namespace data; 1 image (found by helm-template)", inspect);

        var root = _work["node"];
        var address = new IPEndPoint(IPAddress.Loopback, Loopback.FreePort());
        var installed = AssertOk(await OfflineAsync("install", _work.Output, "--pub", _work["keys/builder.pub"], "--root", root, "--addr", address.ToString()));
        Assert.Contains("== charts", installed.Output);

        // The static charts k3s serves, byte for byte, and a HelmChart per release pointing at them, read back as k3s reads them.
        Assert.Equal(published.Web, File.ReadAllBytes(Path.Combine(root, "var/lib/rancher/k3s/server/static/charts/web-1.2.3.tgz")));
        Assert.Equal(published.Db, File.ReadAllBytes(Path.Combine(root, "var/lib/rancher/k3s/server/static/charts/db-16.1.0.tgz")));
        var webChart = HelmChart(root, "web");
        Assert.Equal(("helm.cattle.io/v1", "HelmChart", "web", "kube-system"), (webChart["apiVersion"].ToString(), webChart["kind"].ToString(), webChart["metadata"]["name"].ToString(), webChart["metadata"]["namespace"].ToString()));
        Assert.Equal("https://%{KUBERNETES_API}%/static/charts/web-1.2.3.tgz", webChart["spec"]["chart"].ToString());
        Assert.Equal(("web", "true"), (webChart["spec"]["targetNamespace"].ToString(), webChart["spec"]["createNamespace"].ToString()));
        var values = new YamlStream();
        values.Load(new StringReader(webChart["spec"]["valuesContent"].ToString()));
        Assert.Equal("1.2.4", ((YamlMappingNode)values.Documents[0].RootNode)["image"]["tag"].ToString());
        var pg = HelmChart(root, "pg");
        Assert.Equal(("data", "https://%{KUBERNETES_API}%/static/charts/db-16.1.0.tgz"), (pg["spec"]["targetNamespace"].ToString(), pg["spec"]["chart"].ToString()));
        Assert.False(((YamlMappingNode)pg["spec"]).Children.ContainsKey("valuesContent"));

        // Every image the charts run, pulled by a real containerd through the mirrors install wrote.
        var chartImages = inventory.Charts!.SelectMany(c => c.Images).ToList();
        Assert.Equal(4, chartImages.Count);
        await InstalledMirrors.PullAsync(root, address, chartImages.Select(i => (i, (string?)"chart")), _work["certs.d"]);
    }

    private static YamlMappingNode HelmChart(string root, string release)
    {
        var yaml = new YamlStream();
        yaml.Load(new StringReader(File.ReadAllText(Path.Combine(root, $"var/lib/rancher/k3s/server/manifests/kargo-chart-{release}.yaml"))));
        return (YamlMappingNode)yaml.Documents.Single().RootNode;
    }

    [Fact]
    public async Task Without_helm_the_charts_conventions_find_their_images_and_lock_says_to_check_them()
    {
        await using var upstream = await Upstream.StartAsync();
        var (registry, release, published) = (upstream.Registry, upstream.Release, upstream.Published);
        WriteChartsOnlySpec(ChartsSection(published));
        var plan = AssertOk(await _work.LockAsync("--plan")).Stdout;
        Assert.Contains($"  {published.Repo}/index.yaml", plan);
        Assert.Contains($"  {published.Oci}:16.1.0", plan);
        var locked = AssertOk(await _work.LockAsync("--helm", "none"));
        Assert.Contains("no helm to render it with", locked.Stderr);
        Assert.Contains("Check them against what the chart runs", locked.Stderr);
        Assert.Contains($"{registry.Host}/apps/web:1.2.4 sha256:", locked.Stdout); // the spec's tag over the chart's empty one
        Assert.Contains("found by chart-values in charts/web-1.2.3.tgz: values image", locked.Stdout);
        Assert.Contains($"{registry.Host}/apps/worker:1.2.3 sha256:", locked.Stdout); // no tag: the chart's appVersion
        Assert.Contains("found by chart-annotation in charts/web-1.2.3.tgz: Chart.yaml artifacthub.io/images", locked.Stdout);
        Assert.DoesNotContain("apps/web:1.2.3 ", locked.Stdout);

        AssertOk(await _work.BuildAsync("--locked", "--helm", "none"));
        var json = JsonDocument.Parse(AssertOk(await BundleAsync("inspect", _work.Output, "--json")).Stdout).RootElement;
        var charts = json.GetProperty("charts").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!);
        Assert.Equal("chart-conventions", charts["web"].GetProperty("foundBy").GetString());
        Assert.Equal(
            [$"{registry.Host}/apps/web-migrate:1.2.3", $"{registry.Host}/apps/web-sidecar:0.9", $"{registry.Host}/apps/web:1.2.4", $"{registry.Host}/apps/worker:1.2.3"],
            charts["web"].GetProperty("images").EnumerateArray().Select(i => i.GetString()));
        Assert.Equal([$"{registry.Host}/tools/db:16.1"], charts["db"].GetProperty("images").EnumerateArray().Select(i => i.GetString()));
    }

    [Fact]
    public async Task A_chart_version_that_changes_upstream_is_refused_by_lock_and_by_a_locked_build()
    {
        await using var upstream = await Upstream.StartAsync();
        var (registry, release, published) = (upstream.Registry, upstream.Release, upstream.Published);
        WriteChartsOnlySpec($"""
              charts:
                - {"{"}name: web, version: 1.2.3, repo: {published.Repo}{"}"}
            """);
        AssertOk(await _work.LockAsync("--helm", "none"));
        var lockBefore = File.ReadAllText(_work.Lock);

        // The same version republished with other content (and an index that agrees).
        var changed = TestCharts.Package("web", "1.2.3", "1.2.3", "replicas: 3\n");
        release.Server.Files["charts/packages/web-1.2.3.tgz"] = changed;
        release.Server.Files["charts/index.yaml"] = System.Text.Encoding.UTF8.GetBytes(TestCharts.Index("web", "1.2.3", changed, "packages/web-1.2.3.tgz"));
        var relock = await _work.LockAsync("--helm", "none");
        Assert.Equal(1, relock.ExitCode);
        Assert.Contains($"{_work.Spec}:5: chart web 1.2.3 from {published.Repo} changed upstream", relock.Stderr);
        Assert.Contains("remove the chart's entry", relock.Stderr);
        Assert.Equal(lockBefore, File.ReadAllText(_work.Lock));

        var build = await BundleAsync("build", _work.Spec, "-o", _work.Output, "--lock", _work.Lock, "--cache", _work["fresh-cache"], "--locked", "--helm", "none");
        Assert.Equal(1, build.ExitCode);
        Assert.Contains($"checksum mismatch: the lock pins sha256 {PlatformRelease.Sha(published.Web)}", build.Stderr);
        Assert.Contains("The file changed upstream or on the way; nothing was kept", build.Stderr);
        Assert.False(File.Exists(_work.Output));
    }

    [Fact]
    public async Task A_locked_build_names_a_chart_the_lock_lacks()
    {
        File.WriteAllText(_work.Spec, """
            kind: Bundle
            metadata: {name: charts-only, version: "1"}
            spec:
              charts:
                - {name: web, version: 1.2.3, repo: "https://charts.example.invalid"}
            """);
        File.WriteAllText(_work.Lock, "{\"lockVersion\": 1, \"images\": []}\n");
        var build = await _work.BuildAsync("--locked", "--helm", "none");
        Assert.Equal(1, build.ExitCode);
        Assert.Contains($"does not pin 1 of what the spec needs:\n  chart web 1.2.3 from https://charts.example.invalid ({_work.Spec}:5)", build.Stderr);
    }

    public void Dispose() => _work.Dispose();
}
