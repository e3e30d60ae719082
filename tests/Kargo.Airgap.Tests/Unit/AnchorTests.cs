using System.Reflection;
using System.Text.RegularExpressions;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>
/// .NET's "$" also matches before a final "\n": a name rule anchored with it lets "br0\n" through,
/// and the newline then becomes part of a folder, a file or a unit line. Every regular expression
/// the library generates is read here, by reflection, and none may end an anchored pattern with "$".
/// </summary>
public sealed class AnchorTests
{
    public static TheoryData<string> GeneratedPatterns()
    {
        var data = new TheoryData<string>();
        foreach (var method in typeof(KargoException).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Where(m => m.GetCustomAttribute<GeneratedRegexAttribute>() is not null && m.GetParameters().Length == 0))
        {
            data.Add($"{method.DeclaringType!.Name}.{method.Name}");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(GeneratedPatterns))]
    public void No_pattern_ends_with_a_dollar_that_matches_before_a_final_newline(string name)
    {
        var method = typeof(KargoException).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            .Single(m => $"{m.DeclaringType!.Name}.{m.Name}" == name && m.GetCustomAttribute<GeneratedRegexAttribute>() is not null);
        var pattern = ((Regex)method.Invoke(null, null)!).ToString();

        Assert.False(pattern.EndsWith('$') && !pattern.EndsWith("\\$", StringComparison.Ordinal), $"{name}: '{pattern}' ends with '$'; use \\z");
        Assert.DoesNotContain("$|", pattern);
    }

    [Theory]
    [InlineData("br0")]
    [InlineData("kargo-homelab")]
    public void A_name_with_a_trailing_newline_is_refused_by_the_name_rules(string name)
    {
        Assert.True(Spec.Names.Namespace().IsMatch(name) || Spec.Names.BundleName().IsMatch(name));
        Assert.DoesNotMatch(Spec.Names.Namespace(), name + "\n");
        Assert.DoesNotMatch(Spec.Names.BundleName(), name + "\n");
        Assert.DoesNotMatch(Spec.Names.FileName(), name + "\n");
    }
}
