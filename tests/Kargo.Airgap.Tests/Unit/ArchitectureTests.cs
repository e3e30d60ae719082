using System.Reflection;
using System.Reflection.Emit;

namespace Kargo.Airgap.Tests.Unit;

/// <summary>
/// The library's layers and the only arrows between them, read from the compiled assembly: every
/// type's signatures and every member its method bodies touch (the IL's tokens), lambdas and
/// async state machines included.
/// </summary>
public sealed class ArchitectureTests
{
    /// <summary>What each layer may use besides itself and the root namespace (Kargo.Airgap: exceptions, atomic files, progress).</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        ["Oci"] = [],
        ["Spec"] = ["Oci"],
        ["Registry"] = ["Oci", "Spec"],
        ["Engine"] = ["Oci", "Spec", "Registry"],
        ["Bundle"] = ["Oci", "Spec"],
        ["Sources"] = ["Oci", "Spec", "Registry"],
        ["Build"] = ["Oci", "Spec", "Registry", "Engine", "Bundle", "Sources"],
        ["Install"] = ["Oci", "Spec", "Registry", "Engine", "Bundle", "Sources", "Build"],
    };

    private static readonly Assembly Library = typeof(KargoException).Assembly;

    private static string? LayerOf(Type? type)
    {
        var ns = type?.Namespace;
        if (ns is null || !ns.StartsWith("Kargo.Airgap", StringComparison.Ordinal))
        {
            return null;
        }
        return ns == "Kargo.Airgap" ? "" : ns["Kargo.Airgap.".Length..].Split('.')[0];
    }

    [Fact]
    public void Every_namespace_is_a_known_layer()
    {
        var layers = Library.GetTypes().Select(LayerOf).OfType<string>().Where(l => l.Length > 0).Distinct().Order().ToList();
        Assert.Equal(Allowed.Keys.Order(), layers);
    }

    [Fact]
    public void Every_arrow_between_layers_points_down()
    {
        var wrong = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var type in Library.GetTypes())
        {
            var from = LayerOf(type);
            if (string.IsNullOrEmpty(from))
            {
                continue;
            }
            foreach (var used in Used(type))
            {
                var to = LayerOf(used);
                if (to is not null && to.Length > 0 && to != from && !Allowed[from].Contains(to))
                {
                    wrong.Add($"{from} -> {to}: {type.FullName} uses {used.FullName}");
                }
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    [Fact]
    public void The_check_sees_a_use_inside_a_method_body()
    {
        // Bundle.BundleVerifier calls TarHeaders only in bodies: the IL must show it.
        var verifier = Library.GetType("Kargo.Airgap.Bundle.BundleVerifier")!;
        Assert.Contains(Library.GetType("Kargo.Airgap.Bundle.TarHeaders"), Library.GetTypes().Where(t => t == verifier || t.DeclaringType == verifier).SelectMany(Used));
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static IEnumerable<Type> Used(Type type)
    {
        var used = new List<Type?> { type.BaseType };
        used.AddRange(type.GetInterfaces());
        used.AddRange(type.GetFields(All).Select(f => f.FieldType));
        used.AddRange(type.GetProperties(All).Select(p => p.PropertyType));
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (method is MethodInfo info)
            {
                used.Add(info.ReturnType);
            }
            used.AddRange(method.GetParameters().Select(p => p.ParameterType));
            used.AddRange(BodyReferences(method));
        }
        return used.OfType<Type>().SelectMany(Unwrap);
    }

    /// <summary>A generic, array or by-ref type and what it is made of.</summary>
    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.HasElementType)
        {
            return Unwrap(type.GetElementType()!);
        }
        return type.IsGenericType ? [type, .. type.GetGenericArguments().SelectMany(Unwrap)] : [type];
    }

    private static readonly Dictionary<short, OpCode> OpCodes = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>The types the IL of a method names: what it calls, creates, reads and casts to.</summary>
    private static IEnumerable<Type> BodyReferences(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (var i = 0; i < il.Length;)
        {
            var code = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            var op = OpCodes[code];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineType or OperandType.InlineTok:
                    var token = BitConverter.ToInt32(il, i);
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(token, typeArguments, methodArguments);
                    }
                    catch (ArgumentException)
                    {
                    }
                    if (member is Type resolved)
                    {
                        yield return resolved;
                    }
                    else if (member?.DeclaringType is { } owner)
                    {
                        yield return owner;
                        if (member is FieldInfo field)
                        {
                            yield return field.FieldType;
                        }
                    }
                    i += 4;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString or OperandType.ShortInlineR:
                    i += 4;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    i += 1;
                    break;
            }
        }
    }
}
