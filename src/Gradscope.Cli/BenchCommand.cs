using System.CommandLine;
using System.Text.Json;
using Gradscope.Cli.Bench;
using Gradscope.Tensors;

namespace Gradscope.Cli;

/// <summary>
/// `gradscope bench &lt;workload&gt;`: times Gradscope on the peer workload definitions (GEMM peak,
/// MLP training, deep linear GD), reports the median of the repetitions, managed bytes allocated
/// per step, and with --compare-peer the PyTorch/numpy figures measured interleaved (ours, peer,
/// ours, peer, ...) and the median ratio ours/peer.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var names = string.Join(", ", BenchRegistry.All.Select(w => w.Name));
        var command = new Command("bench", $"Benchmark Gradscope on the peer workloads ({names}, or all).");
        var workload = new Argument<string>("workload") { Description = $"Workload: {names}, or all." };
        var dtype = new Option<string?>("--dtype") { Description = "f32 or f64 (default: the workload's own, f64 for deeplinear, else f32)." };
        var threads = new Option<int>("--threads") { Description = "Kernel threads (the peer gets the same).", DefaultValueFactory = _ => 2 };
        var reps = new Option<int>("--reps") { Description = "Repetitions per case (>= 1; the median is reported).", DefaultValueFactory = _ => 3 };
        var sizes = new Option<int[]>("--size") { Description = "gemm: only these n (repeatable).", AllowMultipleArgumentsPerToken = true };
        var shapes = new Option<string[]>("--shape") { Description = "gemm: rectangular C = op(A) op(B) cases, MxNxK with an optional :nn/nt/tn/tt suffix (op(A), op(B)), 'training' for the MLP training shapes, or 'claims' for the products of the quick claims' nets (repeatable).", AllowMultipleArgumentsPerToken = true };
        var widths = new Option<int[]>("--width") { Description = "mlp: hidden widths W of 784-W-W-10 (repeatable; the peer runs at 1 and 2 threads, the faster counts); hessian: the first W (default 1024).", AllowMultipleArgumentsPerToken = true };
        var batches = new Option<int[]>("--batch") { Description = "mlp: batch sizes (repeatable); hessian: the first N (default 256).", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print the results as JSON." };
        var comparePeer = new Option<bool>("--compare-peer") { Description = "Also run the PyTorch/numpy peer, interleaved, and print ours/peer." };
        var peerDir = new Option<string?>("--peer-dir") { Description = "Folder with peak.py and train_mlp.py (default: ../shared/peer from the repository root)." };
        command.Arguments.Add(workload);
        foreach (var o in new Option[] { dtype, threads, reps, sizes, shapes, widths, batches, json, comparePeer, peerDir }) command.Options.Add(o);
        command.SetAction(pr =>
        {
            string name = pr.GetValue(workload)!;
            var chosen = name.Equals("all", StringComparison.OrdinalIgnoreCase) ? BenchRegistry.All
                : BenchRegistry.Find(name) is { } w ? [w] : null;
            if (chosen is null) { Console.Error.WriteLine($"bench: unknown workload '{name}'; expected one of {names}, all."); return 2; }
            string? dt = pr.GetValue(dtype);
            if (dt is not null and not "f32" and not "f64") { Console.Error.WriteLine($"bench: --dtype must be f32 or f64, got '{dt}'."); return 2; }
            int th = pr.GetValue(threads), r = pr.GetValue(reps);
            if (th < 1 || r < 1) { Console.Error.WriteLine($"bench: --threads and --reps must be >= 1, got {th} and {r}."); return 2; }
            var shapeList = new List<GemmShape>();
            foreach (string text in pr.GetValue(shapes) ?? [])
            {
                if (text.Equals("training", StringComparison.OrdinalIgnoreCase)) { shapeList.AddRange(GemmShape.Training); continue; }
                if (text.Equals("claims", StringComparison.OrdinalIgnoreCase)) { shapeList.AddRange(GemmShape.Claims); continue; }
                if (!GemmShape.TryParse(text, out var shape, out string? why)) { Console.Error.WriteLine($"bench: --shape '{text}': {why}"); return 2; }
                shapeList.Add(shape);
            }
            int[] ws = pr.GetValue(widths) ?? [], bs = pr.GetValue(batches) ?? [];
            if (ws.Any(v => v < 1 || v > 16384) || bs.Any(v => v < 1 || v > 65536))
            { Console.Error.WriteLine($"bench: --width must be in 1..16384 and --batch in 1..65536, got --width {string.Join(' ', ws)} --batch {string.Join(' ', bs)}."); return 2; }
            var settings = new BenchSettings(dt, th, r, pr.GetValue(sizes) ?? [], shapeList.ToArray(), ws, bs);
            Parallelism.Threads = th;

            PeerDriver? peer = null;
            if (pr.GetValue(comparePeer))
            {
                string dir = pr.GetValue(peerDir) ?? DefaultPeerDir();
                peer = PeerDriver.TryStart(dir, out string? problem);
                if (peer is null) Console.Error.WriteLine($"bench --compare-peer: {problem} Continuing without the peer.");
            }
            bool asJson = pr.GetValue(json);
            var results = new List<object>();
            using (peer)
            {
                foreach (var wl in chosen)
                    foreach (var bc in wl.Cases(settings))
                    {
                        var ours = new List<BenchSample>(); var theirs = new List<double>();
                        for (int i = 0; i < r; i++)
                        {
                            int seed = 1234 + i;   // train_mlp.py's SEED + repetition
                            ours.Add(wl.Run(bc, settings, seed));
                            if (peer is not null && bc.Peer.Count > 0) theirs.Add(peer.Run(bc.Peer, seed));   // an empty request: no peer twin
                        }
                        if (peer is not null && wl is IPeerCheckedWorkload checkedWl)
                            (asJson ? Console.Error : Console.Out).WriteLine(checkedWl.CrossCheck(bc, peer, 1234));
                        var result = Summarize(wl, bc, settings, ours, theirs);
                        results.Add(result);
                        if (!asJson) Console.WriteLine(Format(result));
                    }
            }
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(results, new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        });
        return command;
    }

    private sealed record CaseResult(string Workload, string Case, string Metric, int Threads, double[] Values, double Median,
        double? PercentOfPeak, double AllocatedBytesPerStep, double[]? PeerValues, double? PeerMedian, double? Ratio);

    private static CaseResult Summarize(IBenchWorkload wl, BenchCase bc, BenchSettings s, List<BenchSample> ours, List<double> theirs)
    {
        var values = ours.Select(o => o.Value).ToArray();
        double median = BenchTiming.Median(values);
        double? pct = ours[0].PercentOfPeak is null ? null : BenchTiming.Median(ours.Select(o => o.PercentOfPeak!.Value).ToArray());
        double alloc = BenchTiming.Median(ours.Select(o => o.AllocatedBytesPerStep).ToArray());
        if (theirs.Count == 0) return new CaseResult(wl.Name, bc.Label, wl.Metric, s.Threads, values, median, pct, alloc, null, null, null);
        // NOTE: the ratio is the median of the per-pair ratios: pairs ran back to back, so they share the machine's momentary state
        double ratio = BenchTiming.Median(values.Zip(theirs, (o, t) => o / t).ToArray());
        return new CaseResult(wl.Name, bc.Label, wl.Metric, s.Threads, values, median, pct, alloc, theirs.ToArray(), BenchTiming.Median(theirs), ratio);
    }

    private static string Format(CaseResult c)
    {
        string line = $"{c.Workload,-10} {c.Case,-18} {c.Median,10:F1} {c.Metric} [{c.Values.Min():F1}-{c.Values.Max():F1}]";
        if (c.PercentOfPeak is { } p) line += $" {p,5:F1}% of peak";
        line += $"  alloc {c.AllocatedBytesPerStep:F0} B/step";
        if (c.PeerMedian is { } pm) line += $"  | peer {pm:F1} [{c.PeerValues!.Min():F1}-{c.PeerValues!.Max():F1}]  ours/peer {c.Ratio:F2}";
        return line;
    }

    /// <summary>../shared/peer from the repository root (the folder holding Gradscope.slnx), else from its nearest ancestor that has one.</summary>
    private static string DefaultPeerDir()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            var dir = new DirectoryInfo(start);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Gradscope.slnx"))) dir = dir.Parent;
            for (var up = dir?.Parent; up is not null; up = up.Parent)
            {
                string candidate = Path.Combine(up.FullName, "shared", "peer");
                if (Directory.Exists(candidate)) return candidate;
            }
        }
        return Path.GetFullPath(Path.Combine(Environment.CurrentDirectory, "..", "shared", "peer"));
    }
}
