using System.Runtime.InteropServices;

namespace Kargo.Airgap.Tests.Infrastructure;

/// <summary>
/// Signals to a process or a process group by the kill(2) system call itself, never through the
/// kill program: procps' kill reads "-21057" as options, so a process group given as "-PGID"
/// once became "-1" — every process on the machine.
/// </summary>
public static class Signals
{
    public const int Term = 15;
    public const int Kill = 9;

    /// <summary>Sends the signal to one process; false when there is none (ESRCH).</summary>
    public static bool ToProcess(int pid, int signal) => pid > 1 && SystemKill(pid, signal) == 0;

    /// <summary>Sends the signal to every process of the group whose leader is <paramref name="leader"/>.</summary>
    public static bool ToGroup(int leader, int signal) => leader > 1 && SystemKill(-leader, signal) == 0;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the test project for one call
    private static extern int SystemKill(int pid, int signal);
#pragma warning restore SYSLIB1054
}
