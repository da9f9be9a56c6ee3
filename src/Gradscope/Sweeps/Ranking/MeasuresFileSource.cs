using System.Text.Json;

namespace Gradscope.Sweeps.Ranking;

/// <summary>Reads measures written next to a run: the numbers of <c>measures.json</c> (a flat object) in the point
/// directory, or else of the <c>measures</c> object of the final metrics.</summary>
public sealed class MeasuresFileSource : IMeasureSource
{
    /// <inheritdoc/>
    public IReadOnlyDictionary<string, double> Measures(string pointDir, PointRecord point)
    {
        var file = Path.Combine(pointDir, "measures.json");
        if (File.Exists(file)) return Numbers(JsonDocument.Parse(File.ReadAllText(file)).RootElement);
        if (point.Metrics != null && JsonDocument.Parse(point.Metrics).RootElement is { ValueKind: JsonValueKind.Object } m
            && m.TryGetProperty("measures", out var ms)) return Numbers(ms);
        return new Dictionary<string, double>();
    }

    static Dictionary<string, double> Numbers(JsonElement e) =>
        e.ValueKind != JsonValueKind.Object ? [] :
        e.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());
}
