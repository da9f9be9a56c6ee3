namespace Gradscope.Claims;

/// <summary>The source papers of THEORY.md section 6, by the numbers the claim definitions use.</summary>
public static class Papers
{
    /// <summary>Number -> full reference (the text extracts are in shared/papers).</summary>
    public static IReadOnlyDictionary<string, string> Titles { get; } = new Dictionary<string, string>
    {
        ["0"] = "Banburski, Liao, Miranda, Poggio, Rosasco, Liang, Hidary: Theory III: Dynamics and Generalization in Deep Networks (CBMM Memo 90, 2019)",
        ["2"] = "Telgarsky: Optimization and generalization of deep networks: a highly biased margin perspective (lecture notes, DLT 3-4)",
        ["3"] = "Poggio, Banburski, Liao: Theoretical issues in deep networks (PNAS 2020)",
        ["4"] = "Xu, Rangamani, Liao, Galanti, Poggio: Dynamics in deep classifiers trained with the square loss: normalization, low rank, neural collapse and generalization bounds (Research 2023)",
    };

    /// <summary>The references of a definition's paper field ("0, 2"); an unknown number is kept as written.</summary>
    public static IReadOnlyList<string> Resolve(string paper) =>
        paper.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
             .Select(p => Titles.TryGetValue(p, out var t) ? $"[{p}] {t}" : p).ToList();
}
