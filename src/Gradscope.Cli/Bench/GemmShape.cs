namespace Gradscope.Cli.Bench;

/// <summary>A rectangular gemm bench case: C (m x n) = op(A) (m x k) op(B) (k x n), op = transpose when TransA/TransB.</summary>
internal readonly record struct GemmShape(int M, int N, int K, bool TransA, bool TransB, string? Role)
{
    /// <summary>
    /// The products one training step of a dense layer issues (y = x W^T forward, dW = dy^T x, dx = dy W), for
    /// widths 64, 256, 1024 at batch 256, and the batch-1 matrix-vector forward product.
    /// </summary>
    public static IReadOnlyList<GemmShape> Training { get; } =
    [
        .. new[] { 64, 256, 1024 }.SelectMany(w => new[]
        {
            new GemmShape(256, w, w, false, true, "fwd x W^T"),
            new GemmShape(w, w, 256, true, false, "dW = dy^T x"),
            new GemmShape(256, w, w, false, false, "dx = dy W"),
            new GemmShape(1, w, w, false, true, "matvec"),
        }),
    ];

    /// <summary>Parses "MxNxK" with an optional ":nn", ":nt", ":tn" or ":tt" (op(A), op(B)); why says what is wrong.</summary>
    public static bool TryParse(string text, out GemmShape shape, out string? why)
    {
        shape = default;
        string dims = text, ops = "nn";
        int colon = text.IndexOf(':');
        if (colon >= 0) { dims = text[..colon]; ops = text[(colon + 1)..].ToLowerInvariant(); }
        var parts = dims.Split('x');
        if (parts.Length != 3 || !parts.All(p => int.TryParse(p, out int v) && v >= 1 && v <= 16384))
        { why = "expected MxNxK with each of M, N, K an integer in 1..16384, e.g. 256x1024x1024:nt."; return false; }
        if (ops is not ("nn" or "nt" or "tn" or "tt")) { why = $"the suffix must be nn, nt, tn or tt, got '{ops}'."; return false; }
        shape = new GemmShape(int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]), ops[0] == 't', ops[1] == 't', null);
        why = null;
        return true;
    }

    /// <summary>"256x1024x1024 nt" (and the role, for the training shapes).</summary>
    public override string ToString() => $"{M}x{N}x{K} {(TransA ? 't' : 'n')}{(TransB ? 't' : 'n')}{(Role is null ? "" : " " + Role)}";
}
