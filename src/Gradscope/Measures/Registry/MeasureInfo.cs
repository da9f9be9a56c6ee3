namespace Gradscope.Measures.Registry;

/// <summary>What a measure needs of the network, the data or the options before it applies.</summary>
[Flags]
public enum MeasureNeeds
{
    /// <summary>Nothing beyond a model and a training set.</summary>
    None = 0,
    /// <summary>A homogeneous net (no biases, no batch norm; THEORY.md section 1).</summary>
    Homogeneous = 1,
    /// <summary>Dense layers with relu/identity activations only.</summary>
    Dense = 2,
    /// <summary>At least one conv (or locally connected) layer.</summary>
    Conv = 4,
    /// <summary>A multiclass net (C &gt;= 2 outputs).</summary>
    Multiclass = 8,
    /// <summary>A binary net (one output).</summary>
    Binary = 16,
    /// <summary>A test split.</summary>
    TestSplit = 32,
    /// <summary>The weights at initialization.</summary>
    InitWeights = 64,
    /// <summary>A loss (Hessian measures).</summary>
    Loss = 128,
    /// <summary>A deep linear net (dense, no biases, identity activations).</summary>
    DeepLinear = 256,
    /// <summary>The full singular spectrum of each layer (MeasureOptions.FullSvd).</summary>
    Spectrum = 512,
    /// <summary>An opt-in request (the NTK Gram matrix, Hessian counts): off unless asked for.</summary>
    OptIn = 1024,
    /// <summary>A data set alone: a property of the training set that needs no network (the hard-margin SVM, the analytic NTK).</summary>
    DataOnly = 2048,
}

/// <summary>How expensive a measure is, in the units a probe schedule cares about.</summary>
public enum MeasureCost
{
    /// <summary>Counts and shapes: free.</summary>
    Free,
    /// <summary>Norms of the weights (a pass over the parameters, power iteration on each layer).</summary>
    Weights,
    /// <summary>The full singular spectrum of every layer (eigenvalues of each layer's Gram matrix).</summary>
    Spectrum,
    /// <summary>One forward pass over the measured training samples.</summary>
    Forward,
    /// <summary>A kernel over samples (the empirical NTK: one gradient per sample and output, an nC x nC Gram matrix).</summary>
    Kernel,
    /// <summary>Hessian-vector products (each about two backward passes over the measured samples).</summary>
    Hessian,
    /// <summary>An optimization over the weights (the PAC-Bayes posterior: thousands of gradient steps on the training set).</summary>
    Optimization,
}

/// <summary>
/// The description of one quantity in the registry: its stable dotted key (a pattern when it has one value per layer
/// "{k}", per quantile "{q}" or per index "{j}"), its symbol and formula as THEORY.md writes them, the THEORY.md section,
/// what it needs and how expensive it is.
/// </summary>
/// <param name="Key">Dotted snake_case key or key pattern, e.g. "layer.{k}.spectral", "margin_rho.q{q}", "bound.bft".</param>
/// <param name="Symbol">Short symbol, e.g. "||W_k||_2".</param>
/// <param name="Formula">Definition in one line of plain text.</param>
/// <param name="Section">THEORY.md section, e.g. "5" or "3".</param>
/// <param name="Needs">Applicability requirements.</param>
/// <param name="Cost">Cost class.</param>
public sealed record MeasureInfo(string Key, string Symbol, string Formula, string Section, MeasureNeeds Needs, MeasureCost Cost)
{
    /// <summary>
    /// The key under which a not-applicable reason is reported when every key of a family shares it (e.g. "margin.*" for
    /// margin.min, margin.q{q} and margin.mean); by default the key pattern with each placeholder replaced by "*".
    /// </summary>
    public string Group { get; init; } = Wildcard(Key);

    /// <summary>Whether the measure is an array written beside the scalars (.npy; e.g. a spectrum), not a scalar key.</summary>
    public bool IsArray { get; init; }

    /// <summary>Whether the key is a pattern (has a "{k}", "{q}" or "{j}" placeholder).</summary>
    public bool IsPattern => Key.Contains('{');

    /// <summary>The pattern with each {placeholder} replaced by "*".</summary>
    public static string Wildcard(string pattern)
    {
        var sb = new System.Text.StringBuilder(pattern.Length);
        for (int i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == '{')
            {
                int close = pattern.IndexOf('}', i);
                if (close > i) { sb.Append('*'); i = close; continue; }
            }
            sb.Append(pattern[i]);
        }
        return sb.ToString();
    }

    /// <summary>Whether concrete key <paramref name="key"/> is an instance of this measure's pattern.</summary>
    public bool Matches(string key) => KeyGlob.Matches(IsPattern ? Wildcard(Key) : Key, key);

    /// <summary>The needs as readable words ("homogeneous, test split"), or "always" when none.</summary>
    public string Applicability => Needs == MeasureNeeds.None ? "always"
        : string.Join(", ", Enum.GetValues<MeasureNeeds>().Where(n => n != MeasureNeeds.None && Needs.HasFlag(n)).Select(NeedWord));

    /// <summary>The word for one need.</summary>
    public static string NeedWord(MeasureNeeds n) => n switch
    {
        MeasureNeeds.Homogeneous => "homogeneous net",
        MeasureNeeds.Dense => "dense relu/identity net",
        MeasureNeeds.Conv => "conv layers",
        MeasureNeeds.Multiclass => "multiclass",
        MeasureNeeds.Binary => "binary",
        MeasureNeeds.TestSplit => "test split",
        MeasureNeeds.InitWeights => "weights at initialization",
        MeasureNeeds.Loss => "loss",
        MeasureNeeds.DeepLinear => "deep linear net",
        MeasureNeeds.Spectrum => "full spectrum",
        MeasureNeeds.OptIn => "opt-in",
        MeasureNeeds.DataOnly => "a data set (no network needed)",
        _ => n.ToString(),
    };

    /// <summary>The cost class in snake_case as files and the CLI spell it.</summary>
    public string CostName => CostWord(Cost);

    /// <summary>The snake_case name of a cost class.</summary>
    public static string CostWord(MeasureCost c) => c.ToString().ToLowerInvariant();
}

/// <summary>Glob matching of measure keys: "*" matches any run of characters (dots included), everything else literally.</summary>
public static class KeyGlob
{
    /// <summary>Whether <paramref name="key"/> matches <paramref name="pattern"/> ("bound.*", "layer.*.spectral", "nc*").</summary>
    public static bool Matches(string pattern, string key) => Match(pattern.AsSpan(), key.AsSpan());

    private static bool Match(ReadOnlySpan<char> p, ReadOnlySpan<char> s)
    {
        // Greedy with backtracking to the last star: linear in practice for the short keys here.
        int pi = 0, si = 0, star = -1, mark = 0;
        while (si < s.Length)
        {
            if (pi < p.Length && p[pi] != '*' && p[pi] == s[si]) { pi++; si++; }
            else if (pi < p.Length && p[pi] == '*') { star = pi++; mark = si; }
            else if (star >= 0) { pi = star + 1; si = ++mark; }
            else return false;
        }
        while (pi < p.Length && p[pi] == '*') pi++;
        return pi == p.Length;
    }

    /// <summary>Whether two patterns can match a common key (used to select patterned measures with a glob).</summary>
    public static bool Overlaps(string a, string b)
    {
        // A pattern's "*" stands for any text: test each against the other with its stars read as a literal sample.
        return Matches(a, b.Replace("*", "0")) || Matches(b, a.Replace("*", "0")) || Matches(a, b) || Matches(b, a);
    }
}
