using Kargo.Airgap.Bundle;
using Kargo.Airgap.Sources.Charts;
using Kargo.Airgap.Spec;
using Kargo.Airgap.Tests.Infrastructure;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>spec.charts as read and checked, a repository index read as helm reads it, and a bundle's chart fields checked as hostile input.</summary>
public sealed class ChartSpecTests : IDisposable
{
    private readonly TempDir _dir = new();

    private BundleSpec Parse(string charts) => SpecLoader.Parse($"""
        metadata: {"{"}name: demo, version: "1"{"}"}
        spec:
          charts:
        {charts}
        """, _dir["bundle.yaml"]);

    private SpecException Fails(string charts) => Assert.Throws<SpecException>(() => Parse(charts));

    [Fact]
    public void Reads_a_repository_chart_and_an_oci_chart_with_their_release_namespace_and_values()
    {
        File.WriteAllText(_dir["pg-values.yaml"], "auth:\n  database: kargo\n");
        var spec = Parse("""
                - name: cert-manager
                  version: v1.16.2
                  repo: https://charts.jetstack.io/
                  namespace: cert-manager
                  values: {crds: {enabled: true}}
                - name: postgresql
                  version: 16.2.1
                  oci: oci://registry-1.docker.io/bitnamicharts/postgresql
                  releaseName: pg
                  valuesFile: pg-values.yaml
            """);
        var (certManager, pg) = (spec.Charts[0], spec.Charts[1]);
        Assert.Equal(("https://charts.jetstack.io", "cert-manager", "cert-manager", 4), (certManager.Repo, certManager.ReleaseName, certManager.Namespace, certManager.Line));
        Assert.Equal("cert-manager-v1.16.2.tgz", certManager.ArchiveName);
        Assert.Contains("enabled: true", certManager.Values);
        Assert.Equal(("docker.io/bitnamicharts/postgresql:16.2.1", "pg", "default"), (pg.OciTagged.ToString(), pg.ReleaseName, pg.Namespace));
        Assert.Equal("auth:\n  database: kargo\n", pg.Values);
    }

    [Fact]
    public void An_oci_version_with_build_metadata_is_looked_up_under_the_tag_helm_pushes()
    {
        var spec = Parse("    - {name: app, version: 1.0.0+build.5, oci: oci://ghcr.io/org/charts/app}");
        Assert.Equal("ghcr.io/org/charts/app:1.0.0_build.5", spec.Charts[0].OciTagged.ToString());
    }

    [Theory]
    [InlineData("    - {name: web, version: 1.0.0}", ":4:", "needs exactly one of repo")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, oci: oci://b.example/c/web}", ":4:", "needs exactly one of repo")]
    [InlineData("    - {name: Web_App, version: 1.0.0, repo: https://a.example}", ":4:", "chart name 'Web_App' must be lowercase")]
    [InlineData("    - {name: web, version: ^1.0, repo: https://a.example}", ":4:", "pin one version")]
    [InlineData("    - {name: web, version: 1.0.0, repo: ftp://a.example}", ":4:", "is not an http(s) chart repository URL")]
    [InlineData("    - {name: web, version: 1.0.0, oci: oci://ghcr.io/org/web:1.0.0}", ":4:", "without a tag: version: gives it")]
    [InlineData("    - {name: web, version: 1.0.0, oci: ghcr.io/org/web}", ":4:", "is not oci://HOST/PATH")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, releaseName: ../../etc}", ":4:", "releaseName '../../etc' is not a Helm release name")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, namespace: Web}", ":4:", "namespace 'Web' is not a Kubernetes namespace name")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, values: [a]}", ":4:", "values must be a mapping")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, values: {a: 1}, valuesFile: v.yaml}", ":4:", "give values or valuesFile, not both")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, valuesFile: missing.yaml}", ":4:", "missing.yaml does not exist")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example, value: {a: 1}}", ":4:", "value")]
    [InlineData("    - {name: web, version: 1.0.0, repo: https://a.example}\n    - {name: api, version: 2.0.0, repo: https://a.example, releaseName: web}", ":5:", "release 'web' is installed by the chart at line 4 already")]
    public void A_wrong_entry_is_named_at_its_line_with_the_fix(string charts, string line, string message)
    {
        var error = Fails(charts);
        Assert.Contains(_dir["bundle.yaml"] + line, error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void The_repository_index_gives_the_archive_url_relative_to_the_repository_and_its_digest()
    {
        var chart = Parse("    - {name: web, version: 1.2.3, repo: https://charts.example.com/stable}").Charts[0];
        var index = TestCharts.Index("web", "1.2.3", "archive"u8.ToArray(), "packages/web-1.2.3.tgz");
        var (url, sha256) = ChartRepositoryIndex.Find(index, chart);
        Assert.Equal("https://charts.example.com/stable/packages/web-1.2.3.tgz", url);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("archive"u8)), sha256);
        Assert.Equal("https://github.com/org/rel/web-1.2.3.tgz", ChartRepositoryIndex.Resolve("https://charts.example.com", "https://github.com/org/rel/web-1.2.3.tgz"));

        // With a release mirror, an absolute URL goes through it; a relative one is on the (mirrored) repository already.
        var hosts = new Kargo.Airgap.Sources.Releases.ReleaseHosts("https://nexus.lan/remote");
        var absolute = TestCharts.Index("web", "1.2.3", "archive"u8.ToArray(), "https://github.com/org/rel/web-1.2.3.tgz");
        Assert.Equal("https://nexus.lan/remote/github.com/org/rel/web-1.2.3.tgz", ChartRepositoryIndex.Find(absolute, chart, hosts.Mirrored).Url);
        Assert.Equal("https://charts.example.com/stable/packages/web-1.2.3.tgz", ChartRepositoryIndex.Find(index, chart, hosts.Mirrored).Url);

        var missing = Assert.Throws<KargoException>(() => ChartRepositoryIndex.Find(index, chart with { Version = "9.9.9" }));
        Assert.Contains("has no version 9.9.9 of web; it lists 1.2.3, 0.0.1", missing.Message);
        Assert.Throws<KargoException>(() => ChartRepositoryIndex.Resolve("https://charts.example.com", "file:///etc/passwd"));
    }

    [Fact]
    public void The_conventions_read_registry_repository_tag_and_digest_global_registries_and_subchart_values()
    {
        File.WriteAllBytes(_dir["app.tgz"], TestCharts.Package("app", "2.0.0", "2.0", """
            global:
              imageRegistry: mirror.example:5000
            image:
              repository: org/app
            exporter:
              image:
                registry: quay.io
                repository: org/exporter
                tag: v1
                digest: sha256:0000000000000000000000000000000000000000000000000000000000000001
            jobs:
              - name: migrate
                image: ghcr.io/org/migrate:3
            pullPolicy: Always
            imagePullPolicy: IfNotPresent
            """, files: new Dictionary<string, string> { ["charts/redis/values.yaml"] = "image:\n  repository: docker.io/library/redis\n  tag: \"7.4\"\n" }));
        var found = ChartConventions.Find(ChartArchive.Read(_dir["app.tgz"], "charts/app-2.0.0.tgz"), "redis:\n  image:\n    tag: \"7.2\"\n", "charts/app-2.0.0.tgz");
        Assert.Equal(
        [
            ("mirror.example:5000/org/app:2.0", "charts/app-2.0.0.tgz: values image"),
            ("quay.io/org/exporter:v1@sha256:0000000000000000000000000000000000000000000000000000000000000001", "charts/app-2.0.0.tgz: values exporter.image"),
            ("ghcr.io/org/migrate:3", "charts/app-2.0.0.tgz: values jobs[0].image"),
            ("mirror.example:5000/docker.io/library/redis:7.2", "charts/app-2.0.0.tgz: values redis.image"),
        ], found.Select(f => (f.Reference.ToString(), f.Origin)));
        Assert.All(found, f => Assert.Equal(ImageRule.ChartValues, f.Rule));
    }

    [Fact]
    public void The_conventions_read_cert_managers_chart_values_as_its_image_helper_builds_them()
    {
        // The real chart's values at v1.21.1 (an excerpt), and its appVersion as the release tool sets it.
        File.WriteAllBytes(_dir["cert-manager.tgz"], TestCharts.Package("cert-manager", "v1.21.1", "v1.21.1", ReleaseFixtures.Read("cert-manager-v1.21.1-chart-values-images.yaml")));
        var found = ChartConventions.Find(ChartArchive.Read(_dir["cert-manager.tgz"], "charts/cert-manager-v1.21.1.tgz"), null, "charts/cert-manager-v1.21.1.tgz")
            .Select(f => f.Reference.ToString()).ToList();
        Assert.Equal(["controller", "webhook", "cainjector", "acmesolver", "startupapicheck"], found.Select(f => f.Split("/cert-manager-")[1].Split(':')[0]));
        Assert.All(found, f => Assert.Matches(@"^quay\.io/jetstack/cert-manager-[a-z]+:v1\.21\.1$", f));
        // The same names the rendered release (cert-manager.yaml at v1.21.1, startupapicheck disabled there) runs.
        var rendered = Kargo.Airgap.Sources.ManifestImages.Discover(ReleaseFixtures.Read("cert-manager-v1.21.1-cert-manager.yaml"), "cert-manager.yaml");
        Assert.Subset(found.ToHashSet(), rendered.Select(r => r.Reference.ToString()).ToHashSet());
    }

    [Fact]
    public void Something_that_is_not_a_chart_archive_is_named()
    {
        File.WriteAllText(_dir["not.tgz"], "<html>404</html>");
        Assert.Contains("charts/x-1.0.0.tgz is not a packaged Helm chart", Assert.Throws<KargoException>(() => ChartArchive.Read(_dir["not.tgz"], "charts/x-1.0.0.tgz")).Message);
    }

    [Theory]
    [InlineData("../../etc", "web", "charts/web-1.0.0.tgz")]
    [InlineData("web", "kube-system\nFAKE", "charts/web-1.0.0.tgz")]
    [InlineData("web", "web", "charts/other-1.0.0.tgz")]
    [InlineData("web", "web", "charts/missing-from-entries")]
    public void A_bundle_whose_chart_fields_break_their_rules_is_refused(string release, string ns, string archive)
    {
        var inventory = new Inventory
        {
            Name = "demo",
            Version = "1",
            Platforms = ["linux/amd64"],
            Source = new InventorySource("spec/demo.yaml", "spec/images.lock"),
            Images = [],
            Entries = [new InventoryEntry("charts/web-1.0.0.tgz", 10, new string('a', 64))],
            Charts = [new InventoryChart { Name = "web", Version = "1.0.0", ReleaseName = release, Namespace = ns, Archive = archive, FoundBy = "helm-template", Images = [] }],
        };
        var problem = InventoryRules.Problem(inventory);
        Assert.NotNull(problem);
        Assert.StartsWith("chart 'web 1.0.0'", problem);
        Assert.DoesNotContain('\n', problem);
        Assert.Null(InventoryRules.Problem(inventory with { Charts = [inventory.Charts[0] with { ReleaseName = "web", Namespace = "web", Archive = "charts/web-1.0.0.tgz" }] }));
    }

    public void Dispose() => _dir.Dispose();
}
