using System.Text.Json;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Collects the <see cref="RankedPoint"/>s of a sweep directory: every done point with its hyperparameters,
/// gap g = train_acc - test_acc from its final metrics, and the measures of an <see cref="IMeasureSource"/>.</summary>
public static class SweepMeasures
{
    /// <summary>Ranked points of the done points.</summary>
    /// <exception cref="SweepException">A done point's final metrics lack train_acc or test_acc.</exception>
    public static IReadOnlyList<RankedPoint> Load(string sweepDir, IMeasureSource source)
    {
        sweepDir = Path.GetFullPath(sweepDir);
        using var index = SweepIndex.Open(Path.Combine(sweepDir, SweepDirectory.IndexFile));
        var list = new List<RankedPoint>();
        foreach (var p in index.Points().Where(p => p.Status == PointStatus.Done))
        {
            JsonElement metrics;
            try { metrics = JsonDocument.Parse(p.Metrics ?? "{}").RootElement; }
            catch (JsonException e) { throw new SweepException($"point {p.Index} ({p.Directory}): stored final metrics are not valid JSON: {e.Message}", e); }
            double Get(string k) => metrics.ValueKind == JsonValueKind.Object && metrics.TryGetProperty(k, out var v) && v.ValueKind == JsonValueKind.Number
                ? v.GetDouble() : throw new SweepException($"point {p.Index} ({p.Directory}): final metrics have no numeric '{k}'");
            var hp = JsonSerializer.Deserialize<Dictionary<string, string>>(p.Hyperparameters) ?? [];
            list.Add(new RankedPoint(p.Index, hp, Get("train_acc") - Get("test_acc"), source.Measures(SweepWorker.RunDirectory(Path.Combine(sweepDir, p.Directory)), p),
                p.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return list;
    }
}
