namespace Gradscope.Cli.Bench;

/// <summary>Every workload `gradscope bench` knows, in the order of `bench all`.</summary>
internal static class BenchRegistry
{
    /// <summary>The registered workloads (add one line per new workload).</summary>
    public static IReadOnlyList<IBenchWorkload> All { get; } =
    [
        new GemmWorkload(),
        new MlpWorkload(),
        new DeepLinearWorkload(),
        new CnnWorkload(),
        new NtkWorkload(),
        new ProbeWorkload(),
        new ProbeProfileWorkload(),
        new HessianWorkload(),
        new SlqAccuracyWorkload(),
    ];

    /// <summary>The workload named <paramref name="name"/>, or null.</summary>
    public static IBenchWorkload? Find(string name) => All.FirstOrDefault(w => w.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
