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

    /// <summary>
    /// The products of the quick claims' nets (src/Gradscope/Claims/Definitions, quick scale): a dense layer's forward
    /// x W^T, dW = dy^T x and dx = dy W at their widths and batches (the whole training set for GD, the SGD batch
    /// otherwise).
    /// </summary>
    public static IReadOnlyList<GemmShape> Claims { get; } =
    [
        // low-rank-bias, neural-collapse (64-64-64-10 on digits, GD on n = 200 / 300; SGD batches 4, 16, 64)
        new(200, 64, 64, false, true, "low-rank-bias fwd (GD, n = 200)"),
        new(64, 64, 200, true, false, "low-rank-bias dW (GD)"),
        new(200, 64, 64, false, false, "low-rank-bias dx (GD)"),
        new(300, 64, 64, false, true, "neural-collapse fwd (GD, n = 300)"),
        new(16, 64, 64, false, true, "low-rank-bias fwd (SGD, B = 16)"),
        new(64, 64, 16, true, false, "low-rank-bias dW (SGD, B = 16)"),
        new(4, 64, 64, false, true, "low-rank-bias fwd (SGD, B = 4)"),
        // sgd-noise (64-64-64-10, batch 10)
        new(10, 64, 64, false, true, "sgd-noise fwd (B = 10)"),
        new(64, 64, 10, true, false, "sgd-noise dW (B = 10)"),
        new(10, 64, 64, false, false, "sgd-noise dx (B = 10)"),
        // random-labels (64-256-10 on 200 optdigits), bound-tracks-error (64-128-10 on 100)
        new(200, 256, 64, false, true, "random-labels fwd layer 1"),
        new(256, 64, 200, true, false, "random-labels dW layer 1"),
        new(200, 10, 256, false, true, "random-labels fwd output layer"),
        new(200, 256, 10, false, false, "random-labels dx output layer"),
        new(100, 128, 64, false, true, "bound-tracks-error fwd layer 1"),
        // lazy-training (64-W-1 on 32 binary digits, W up to 1024), margin-growth (10-32-32-1 on 60 points)
        new(32, 1024, 64, false, true, "lazy-training fwd (W = 1024)"),
        new(1024, 64, 32, true, false, "lazy-training dW (W = 1024)"),
        new(60, 32, 32, false, true, "margin-growth fwd layer 2"),
        new(32, 32, 60, true, false, "margin-growth dW layer 2"),
    ];

    /// <summary>Parses "MxNxK" with an optional ":nn", ":nt", ":tn" or ":tt" (op(A), op(B)); why says what is wrong.</summary>
    public static bool TryParse(string text, out GemmShape shape, out string? why)
    {
        shape = default;
        string dims = text, ops = "nn";
        int colon = text.IndexOf(':');
        if (colon >= 0) { dims = text[..colon]; ops = text[(colon + 1)..].ToLowerInvariant(); }
        var parts = dims.Split('x');
        // NOTE: digits only (int.TryParse alone also takes signs, white space and trailing NUL characters)
        static bool Dim(string p, out int v)
        {
            v = 0;
            return p.Length >= 1 && p.All(char.IsAsciiDigit) && int.TryParse(p, out v) && v >= 1 && v <= 16384;
        }
        if (parts.Length != 3 || !parts.All(p => Dim(p, out _)))
        { why = "expected MxNxK with each of M, N, K an integer in 1..16384, e.g. 256x1024x1024:nt (or training, or claims)."; return false; }
        if (ops is not ("nn" or "nt" or "tn" or "tt")) { why = $"the suffix must be nn, nt, tn or tt, got '{ops}'."; return false; }
        Dim(parts[0], out int m); Dim(parts[1], out int n); Dim(parts[2], out int k);
        shape = new GemmShape(m, n, k, ops[0] == 't', ops[1] == 't', null);
        why = null;
        return true;
    }

    /// <summary>"256x1024x1024 nt" (and the role, for the training shapes).</summary>
    public override string ToString() => $"{M}x{N}x{K} {(TransA ? 't' : 'n')}{(TransB ? 't' : 'n')}{(Role is null ? "" : " " + Role)}";
}
