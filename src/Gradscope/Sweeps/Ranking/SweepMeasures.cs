using System.Text.Json;
using Gradscope.Measures.Registry;
using Gradscope.Training;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Collects the <see cref="RankedPoint"/>s of a sweep directory: every done point with its hyperparameters,
/// gap g = test_error - train_error from its final metrics (old names read through MeasureAliases), and the measures of an <see cref="IMeasureSource"/>.</summary>
public static class SweepMeasures
{
    /// <summary>The stop reasons of a step or time cap (<see cref="Checkpoint.StopReasons"/>); the others are training targets.</summary>
    static readonly HashSet<string> CapReasons = ["steps", "time"];

    /// <summary>
    /// Whether a finished run met its training target. Jiang et al. 2020 compare networks trained to one training
    /// cross-entropy; a run whose config sets a target (stop.loss, stop.train_acc, stop.margin or stop.gamma) but that
    /// ended on its step or time cap (<paramref name="reason"/> "steps" or "time") did not get there. A config without a
    /// target, or a run that records no reason, counts as reached.
    /// </summary>
    public static bool ReachedTarget(string? reason, StoppingRules stop)
    {
        bool hasTarget = stop.Loss is not null || stop.TrainAccuracy is not null || stop.Margin is not null || stop.Gamma is not null;
        return !hasTarget || reason is null || !CapReasons.Contains(reason);
    }

    /// <summary>Ranked points of the done points. A point that did not reach its training target (<see cref="ReachedTarget"/>)
    /// is kept with its gap, <see cref="RankedPoint.ReachedTarget"/> false and no measures (its measures are not computed),
    /// so it is left out of every score and counts against every measure's coverage; unless
    /// <paramref name="includeUnreached"/>, which measures and scores it like the others.</summary>
    /// <param name="sweepDir">The sweep directory.</param>
    /// <param name="source">Where the measures come from.</param>
    /// <param name="includeUnreached">Also measure and score the points stopped by their cap before their target.</param>
    /// <param name="progress">Called after each point with (points done, done points of the sweep).</param>
    /// <exception cref="SweepException">A done point's final metrics lack train_error or test_error, or its run's config cannot be read.</exception>
    public static IReadOnlyList<RankedPoint> Load(string sweepDir, IMeasureSource source, bool includeUnreached = false, Action<int, int>? progress = null)
    {
        sweepDir = Path.GetFullPath(sweepDir);
        using var index = SweepIndex.Open(Path.Combine(sweepDir, SweepDirectory.IndexFile));
        var list = new List<RankedPoint>();
        var done = index.Points().Where(p => p.Status == PointStatus.Done).ToList();
        foreach (var p in done)
        {
            JsonElement metrics;
            try { metrics = JsonDocument.Parse(p.Metrics ?? "{}").RootElement; }
            catch (JsonException e) { throw new SweepException($"point {p.Index} ({p.Directory}): stored final metrics are not valid JSON: {e.Message}", e); }
            var values = MeasureAliases.Canonical(metrics.ValueKind != JsonValueKind.Object ? []
                : metrics.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.Number).Select(x => KeyValuePair.Create(x.Name, x.Value.GetDouble())));
            double Get(string k) => values.TryGetValue(k, out double v) ? v : throw new SweepException($"point {p.Index} ({p.Directory}): final metrics have no numeric '{k}'");
            var hp = JsonSerializer.Deserialize<Dictionary<string, string>>(p.Hyperparameters) ?? [];
            string runDir = SweepWorker.RunDirectory(Path.Combine(sweepDir, p.Directory));
            string? reason = metrics.ValueKind == JsonValueKind.Object && metrics.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            bool reached = reason is null || !CapReasons.Contains(reason) || ReachedTarget(reason, RunStop(runDir, p));
            double gap = Get("test_error") - Get("train_error");
            var measures = reached || includeUnreached ? source.Measures(runDir, p) : new Dictionary<string, double>();
            list.Add(new RankedPoint(p.Index, hp, gap, measures, p.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture), reached));
            progress?.Invoke(list.Count, done.Count);
        }
        return list;
    }

    // The stopping rules of the run's own config (config.yaml in its run directory).
    static StoppingRules RunStop(string runDir, PointRecord p)
    {
        string path = Path.Combine(runDir, "config.yaml");
        try { return TrainConfigYaml.Load(path).Stop; }
        catch (Exception e) when (e is TrainConfigException or IOException or UnauthorizedAccessException)
        {
            throw new SweepException($"point {p.Index}: cannot read its run's stopping rules from '{path}': {e.Message}", e);
        }
    }
}
