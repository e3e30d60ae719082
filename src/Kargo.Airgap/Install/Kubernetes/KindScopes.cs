namespace Kargo.Airgap.Install.Kubernetes;

/// <summary>
/// Whether a kind lives in a namespace, known before any cluster answers: the built-in kinds whose
/// scope every Kubernetes release shares, and the CustomResourceDefinitions a bundle carries
/// (their spec.scope). Other kinds are left to the API server's discovery at apply time.
/// </summary>
public sealed class KindScopes
{
    private static readonly HashSet<(string Group, string Kind)> ClusterScoped =
    [
        ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
        ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
        ("apiextensions.k8s.io", "CustomResourceDefinition"), ("apiregistration.k8s.io", "APIService"),
        ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"), ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
        ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"), ("admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding"),
        ("storage.k8s.io", "StorageClass"), ("storage.k8s.io", "CSIDriver"), ("storage.k8s.io", "CSINode"), ("storage.k8s.io", "VolumeAttachment"),
        ("scheduling.k8s.io", "PriorityClass"), ("node.k8s.io", "RuntimeClass"), ("networking.k8s.io", "IngressClass"),
        ("certificates.k8s.io", "CertificateSigningRequest"),
    ];

    private static readonly HashSet<(string Group, string Kind)> NamespacedBuiltIns =
    [
        ("", "Pod"), ("", "Service"), ("", "ServiceAccount"), ("", "ConfigMap"), ("", "Secret"), ("", "PersistentVolumeClaim"),
        ("", "Endpoints"), ("", "LimitRange"), ("", "ResourceQuota"),
        ("apps", "Deployment"), ("apps", "DaemonSet"), ("apps", "StatefulSet"), ("apps", "ReplicaSet"),
        ("batch", "Job"), ("batch", "CronJob"),
        ("rbac.authorization.k8s.io", "Role"), ("rbac.authorization.k8s.io", "RoleBinding"),
        ("networking.k8s.io", "NetworkPolicy"), ("networking.k8s.io", "Ingress"), ("policy", "PodDisruptionBudget"),
        ("coordination.k8s.io", "Lease"), ("autoscaling", "HorizontalPodAutoscaler"),
    ];

    private readonly Dictionary<(string Group, string Kind), bool> _custom = [];

    public KindScopes(IEnumerable<ManifestObject> crds)
    {
        foreach (var crd in crds)
        {
            foreach (var (apiVersion, kind) in crd.DefinedTypes)
            {
                _custom[(Group(apiVersion), kind)] = crd.DefinesNamespaced;
            }
        }
    }

    /// <summary>A built-in kind that never lives in a namespace (a CRD, a ClusterRole…).</summary>
    public static bool IsClusterScopedBuiltIn(string apiVersion, string kind) => ClusterScoped.Contains((Group(apiVersion), kind));

    /// <summary>True or false when known here; null when only the cluster can tell.</summary>
    public bool? IsNamespaced(string apiVersion, string kind)
    {
        var key = (Group(apiVersion), kind);
        if (_custom.TryGetValue(key, out var namespaced))
        {
            return namespaced;
        }
        return ClusterScoped.Contains(key) ? false : NamespacedBuiltIns.Contains(key) ? true : null;
    }

    private static string Group(string apiVersion) => apiVersion.Contains('/', StringComparison.Ordinal) ? apiVersion[..apiVersion.IndexOf('/', StringComparison.Ordinal)] : "";
}
