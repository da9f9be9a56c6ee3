using System.Text.Json;
using Gradscope.Measures.Registry;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Reads measures written next to a run: the values of <c>measures.json</c> in the run directory, read by
/// <see cref="MeasureFile"/> (the "measures" object <c>gradscope measure</c> writes, or a flat object of numbers; old
/// key names under their registry keys; NaN/Infinity tokens as values); else the <c>measures</c> object of the final
/// metrics; else the final metrics' probe values (every number except step/time counters, losses and train/test
/// accuracies, e.g. layer.0.frobenius, rho, margin.min, gamma_min, with the probe's old names read through the alias map).</summary>
public sealed class MeasuresFileSource : IMeasureSource
{
    /// <inheritdoc/>
    /// <exception cref="SweepException">measures.json or the stored metrics are malformed or cannot be read (naming the point, the file and the key).</exception>
    public IReadOnlyDictionary<string, double> Measures(string runDir, PointRecord point)
    {
        var file = Path.Combine(runDir, "measures.json");
        try
        {
            if (File.Exists(file)) return MeasureFile.Read(file).Values;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new SweepException($"point {point.Index}: {e.Message}", e);
        }
        try { return FromMetrics(point); }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new SweepException($"point {point.Index}: its stored final metrics cannot be read: {e.Message}", e);
        }
    }

    static IReadOnlyDictionary<string, double> FromMetrics(PointRecord point)
    {
        if (point.Metrics == null) return new Dictionary<string, double>();
        var contents = MeasureFile.Parse(point.Metrics, $"final metrics of point {point.Index}");
        using var doc = JsonDocument.Parse(MeasureFile.QuoteNonFinite(point.Metrics));
        if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("measures", out _)) return contents.Values;
        // The trainer's last-probe values (norms, rho, margins, ...) without the losses, accuracies and counters.
        var flat = doc.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number && !NotMeasures.Contains(p.Name) && !p.Name.StartsWith("test_", StringComparison.Ordinal))
            .Select(p => KeyValuePair.Create(p.Name, p.Value.GetDouble()));
        return MeasureAliases.Canonical(flat);
    }

    static readonly HashSet<string> NotMeasures = ["step", "steps", "t", "time", "wall_s", "loss", "log_loss", "train_loss", "train_log_loss", "train_acc", "train_error", "eta"];
}
