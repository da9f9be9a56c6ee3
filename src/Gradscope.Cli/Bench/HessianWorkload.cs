using System.Diagnostics;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Cli.Bench;

/// <summary>
/// Curvature cost on the bench MLP 784-1024-1024-10 (batch 256, cross-entropy; <see cref="MlpWorkload.Setup{T}"/>):
/// "hvp": the time of one exact Hessian-vector product on the batch (double vectors, as the power iteration and Hutchinson use it;
/// the float32 entry of SLQ is printed beside it) over the time of one training step on it (target &lt;= 3);
/// "slq": seconds for the SLQ density with 10 probes x 100 Lanczos steps (target &lt; 30 s; at 2 threads two probes side by side, each on
/// one thread); "slq-split" (2 threads only): the same probes one at a time, each product and vector pass split over both threads;
/// "blocks": seconds for the per-layer blocks (30 Lanczos steps and 10 trace probes per layer).
/// The slq and blocks cases print the bytes they allocate from the operator's construction on (a bound on their peak memory) in copies of
/// the weights (target &lt;= 20 plus one batch of activations); the samples' byte column is that total, not a per-step figure.
/// No peer twin.
/// </summary>
internal sealed class HessianWorkload : IBenchWorkload
{
    private const int Batch = 256;

    public string Name => "hessian";
    public string Description => "Hessian-vector product / training step, SLQ 10 x 100 and per-layer blocks on the MLP 784-1024-1024-10, batch 256";
    public string Metric => "ratio or s";

    public IReadOnlyList<BenchCase> Cases(BenchSettings settings)
    {
        string dtype = settings.Dtype ?? "f32";
        var cases = new List<BenchCase> { new($"hvp/step {dtype}", dtype, []), new($"slq 10x100 s {dtype}", dtype, []) };
        // at 2 threads SLQ runs two probes side by side; this case runs them one at a time with every product split over the threads
        if (settings.Threads == 2 && dtype == "f32") cases.Add(new BenchCase($"slq-split 10x100 s {dtype}", dtype, []));
        cases.Add(new BenchCase($"blocks s {dtype}", dtype, []));
        return cases;
    }

    public BenchSample Run(BenchCase benchCase, BenchSettings settings, int seed)
    {
        // --width W and --batch N (the first of each) measure the MLP 784-W-W-10 on batches of N instead (e.g. the 5.8M-parameter W = 2048)
        int width = settings.Widths.Length > 0 ? settings.Widths[0] : 1024, batch = settings.Batches.Length > 0 ? settings.Batches[0] : Batch;
        return benchCase.Dtype == "f32" ? Run<float>(benchCase.Label, seed, width, batch) : Run<double>(benchCase.Label, seed, width, batch);
    }

    private static BenchSample Run<T>(string label, int seed, int width, int batchSize) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var (data, objective, gd, batches) = MlpWorkload.Setup<T>(seed, "hessian-bench", width, batchSize);
        var batch = data.Subset(batches[0]);
        for (int s = 0; s < 5; s++) gd.Step(objective, batches[s], new Gradscope.Training.StepContext(s, 0.01, 0));
        // Memory of the measure: every managed byte allocated from the Hessian-vector operator's construction to the end of the
        // computation (it allocates its buffers once, so this bounds its peak live memory), in copies of the weights.
        long allocated0 = GC.GetTotalAllocatedBytes(true);
        var h = HessianVectorProduct.Create(objective.Model, batch, LossKind.CrossEntropy);
        var rng = new Rng((ulong)seed);
        if (label.StartsWith("hvp", StringComparison.Ordinal))
        {
            var v = new double[h.Dimension];
            var w = new double[h.Dimension];
            StochasticLanczosQuadrature.Rademacher(v, rng);
            const int reps = 10;
            h.Apply(v, w);
            long bytes0 = GC.GetTotalAllocatedBytes(true);
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++) h.Apply(v, w);
            double hvp = Stopwatch.GetElapsedTime(t0).TotalSeconds / reps;
            double bytes = (GC.GetTotalAllocatedBytes(true) - bytes0) / (double)reps;
            // the float32 entry SLQ uses (no conversion of v and H v to and from double)
            double single = double.NaN;
            if (h.IsSingle)
            {
                var vf = Array.ConvertAll(v, x => (float)x);
                var wf = new float[h.Dimension];
                h.ApplySingle(vf, wf);
                long t2 = Stopwatch.GetTimestamp();
                for (int i = 0; i < reps; i++) h.ApplySingle(vf, wf);
                single = Stopwatch.GetElapsedTime(t2).TotalSeconds / reps;
            }
            long t1 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++) gd.Step(objective, batches[0], new Gradscope.Training.StepContext(10 + i, 0.0, 0));
            double step = Stopwatch.GetElapsedTime(t1).TotalSeconds / reps;
            Console.Error.WriteLine($"  hvp {hvp * 1e3:F1} ms (double entry; float32 entry {single * 1e3:F1} ms = {single / step:F2} steps), training step {step * 1e3:F1} ms");
            return new BenchSample(hvp / step, bytes, null);
        }
        // NOTE: the same generator stream as the hvp case (its probe's P draws skipped), so SLQ's probes are those of earlier sessions,
        // without the two double vectors (4 weight copies) the hvp case needs in the allocation count.
        for (int i = 0; i < h.Dimension; i++) rng.NextUInt64();
        long t = Stopwatch.GetTimestamp();
        double cpu0 = Cpu();
        if (label.StartsWith("slq-split", StringComparison.Ordinal)) StochasticLanczosQuadrature.Of(h, 10, 100, rng, Lanczos.WindowVectors, concurrentProbes: 1);
        else if (label.StartsWith("slq", StringComparison.Ordinal)) StochasticLanczosQuadrature.Of(h, 10, 100, rng);
        else HessianBlocks.Of(h, 30, 10, rng);
        double seconds = Stopwatch.GetElapsedTime(t).TotalSeconds, cpu = Cpu() - cpu0;
        double used = GC.GetTotalAllocatedBytes(true) - allocated0;
        // NOTE: under load wall-clock seconds measure the load; the process CPU time and the cost in training steps (CPU time of 10
        // steps on the same batch, measured right after in this process) do not.
        double stepCpu0 = Cpu();
        for (int i = 0; i < 10; i++) gd.Step(objective, batches[0], new Gradscope.Training.StepContext(10 + i, 0.0, 0));
        double stepCpu = (Cpu() - stepCpu0) / 10;
        Console.Error.WriteLine($"  {label}: {seconds:F1} s wall, {cpu:F1} s process CPU = {cpu / stepCpu:F0} training steps of {stepCpu * 1e3:F1} ms CPU each");
        double copy = (double)h.Dimension * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        double activations = (double)batch.N * (784 + 4 * width + 10) * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Console.Error.WriteLine($"  {label}: allocated {used / 1e6:F0} MB = {used / copy:F1} weight copies (P = {h.Dimension}, one copy {copy / 1e6:F1} MB; "
            + $"one batch of activations {activations / 1e6:F1} MB = {activations / copy:F2} copies); process peak RSS so far {Process.GetCurrentProcess().PeakWorkingSet64 / 1e6:F0} MB");
        return new BenchSample(seconds, used, null);
    }

    private static double Cpu() => Gradscope.Measures.CpuClock.ProcessSeconds();
}
