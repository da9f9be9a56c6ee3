using System.Text.Json;
using Gradscope.Measures.Registry;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Collects the <see cref="RankedPoint"/>s of a sweep directory: every done point with its hyperparameters,
/// gap g = test_error - train_error from its final metrics (old names read through MeasureAliases), and the measures of an <see cref="IMeasureSource"/>.</summary>
public static class SweepMeasures
{
    /// <summary>Ranked points of the done points.</summary>
    /// <exception cref="SweepException">A done point's final metrics lack train_error or test_error.</exception>
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
            var values = MeasureAliases.Canonical(metrics.ValueKind != JsonValueKind.Object ? []
                : metrics.EnumerateObject().Where(x => x.Value.ValueKind == JsonValueKind.Number).Select(x => KeyValuePair.Create(x.Name, x.Value.GetDouble())));
            double Get(string k) => values.TryGetValue(k, out double v) ? v : throw new SweepException($"point {p.Index} ({p.Directory}): final metrics have no numeric '{k}'");
            var hp = JsonSerializer.Deserialize<Dictionary<string, string>>(p.Hyperparameters) ?? [];
            list.Add(new RankedPoint(p.Index, hp, Get("test_error") - Get("train_error"), source.Measures(SweepWorker.RunDirectory(Path.Combine(sweepDir, p.Directory)), p),
                p.Seed?.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return list;
    }
}
