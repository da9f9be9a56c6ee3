using System.Text.Json;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Reads measures written next to a run: the numbers of <c>measures.json</c> (a flat object) in the run
/// directory; else the <c>measures</c> object of the final metrics; else the final metrics' probe values (every number
/// except step/time counters, losses and train/test accuracies, e.g. fro[0.weight], rho, min_margin, gamma).</summary>
public sealed class MeasuresFileSource : IMeasureSource
{
    /// <inheritdoc/>
    /// <exception cref="SweepException">measures.json or the stored metrics are not valid JSON or cannot be read (naming the point and file).</exception>
    public IReadOnlyDictionary<string, double> Measures(string runDir, PointRecord point)
    {
        var file = Path.Combine(runDir, "measures.json");
        try { return Read(file, point); }
        catch (Exception e) when (e is JsonException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new SweepException($"point {point.Index}: '{file}' or its stored metrics cannot be read: {e.Message}", e);
        }
    }

    static IReadOnlyDictionary<string, double> Read(string file, PointRecord point)
    {
        if (File.Exists(file)) return Numbers(JsonDocument.Parse(File.ReadAllText(file)).RootElement);
        if (point.Metrics == null || JsonDocument.Parse(point.Metrics).RootElement is not { ValueKind: JsonValueKind.Object } m)
            return new Dictionary<string, double>();
        if (m.TryGetProperty("measures", out var ms)) return Numbers(ms);
        // The trainer's last-probe values (norms, rho, margins, ...) without the losses, accuracies and counters.
        return Numbers(m).Where(kv => !NotMeasures.Contains(kv.Key) && !kv.Key.StartsWith("test_", StringComparison.Ordinal))
            .ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    static readonly HashSet<string> NotMeasures = ["step", "steps", "t", "time", "wall_s", "loss", "log_loss", "train_loss", "train_log_loss", "train_acc", "eta"];

    static Dictionary<string, double> Numbers(JsonElement e) =>
        e.ValueKind != JsonValueKind.Object ? [] :
        e.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());
}
