namespace Gradscope.Cli.Bench;

/// <summary>Settings shared by every benchmark workload.</summary>
/// <param name="Dtype">"f32" or "f64", or null for the workload's default.</param>
/// <param name="Threads">Kernel threads (Parallelism.Threads; the peer gets the same count).</param>
/// <param name="Repetitions">Repetitions per case (the median is reported).</param>
/// <param name="Sizes">Restricts size-swept workloads (gemm) to these sizes; empty = all.</param>
/// <param name="Shapes">gemm: rectangular products to run instead of (or, with Sizes, beside) the square ones; empty = none.</param>
/// <param name="Widths">mlp: hidden widths to run (784-W-W-10); empty = the default network.</param>
/// <param name="Batches">mlp: batch sizes to run; empty = the default batch.</param>
internal sealed record BenchSettings(string? Dtype, int Threads, int Repetitions, int[] Sizes, GemmShape[] Shapes, int[] Widths, int[] Batches)
{
    /// <summary>Settings without rectangular gemm shapes or mlp widths and batches.</summary>
    public BenchSettings(string? dtype, int threads, int repetitions, int[] sizes) : this(dtype, threads, repetitions, sizes, [], [], []) { }
}

/// <summary>One measured configuration of a workload, with the request that runs its peer twin.</summary>
/// <param name="Label">Short label, e.g. "n=1024 f32".</param>
/// <param name="Dtype">"f32" or "f64".</param>
/// <param name="Peer">Request for the peer driver (workload name and arguments), JSON-serializable.</param>
internal sealed record BenchCase(string Label, string Dtype, Dictionary<string, object> Peer);

/// <summary>One repetition of a case.</summary>
/// <param name="Value">The figure of merit (see <see cref="IBenchWorkload.Metric"/>).</param>
/// <param name="AllocatedBytesPerStep">Managed-heap bytes allocated per step (or call) in the timed part.</param>
/// <param name="PercentOfPeak">Percent of the machine's theoretical peak, when meaningful.</param>
internal sealed record BenchSample(double Value, double AllocatedBytesPerStep, double? PercentOfPeak);

/// <summary>
/// A benchmark workload of `gradscope bench`: a fixed definition (matching a peer workload in
/// ../shared/peer beside the repository) that yields one or more cases, each measured once per repetition.
/// Register new workloads in <see cref="BenchRegistry"/>.
/// </summary>
internal interface IBenchWorkload
{
    /// <summary>Name used on the command line.</summary>
    string Name { get; }
    /// <summary>One-line definition.</summary>
    string Description { get; }
    /// <summary>Unit of <see cref="BenchSample.Value"/>, e.g. "GFLOP/s".</summary>
    string Metric { get; }
    /// <summary>The cases to measure under <paramref name="settings"/>.</summary>
    IReadOnlyList<BenchCase> Cases(BenchSettings settings);
    /// <summary>Runs one repetition of <paramref name="benchCase"/> (seed varies per repetition).</summary>
    BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed);
}

/// <summary>
/// A workload whose result can be cross-checked against the peer's on identical inputs (with --compare-peer):
/// the check runs once per case and prints one line.
/// </summary>
internal interface IPeerCheckedWorkload
{
    /// <summary>Runs the cross-check for <paramref name="benchCase"/> against <paramref name="peer"/>; returns the line to print.</summary>
    string CrossCheck(BenchCase benchCase, PeerDriver peer, int seed);
}
