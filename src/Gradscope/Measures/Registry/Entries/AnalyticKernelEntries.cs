namespace Gradscope.Measures.Registry.Entries;

using static Entry;
using N = MeasureNeeds;
using C = MeasureCost;

/// <summary>
/// The analytic infinite-width NTK Theta^L and NNGP Sigma^L of a bias-free ReLU MLP with L hidden layers in the NTK
/// parameterization (THEORY.md section 5, <see cref="AnalyticNtk"/>) on the measured training samples, and the NTK's summary from
/// one symmetric eigenvalue solve. A property of the data set (no network); opt-in (<see cref="MeasureOptions.AnalyticNtkDepth"/>;
/// <c>gradscope ntk-analytic DATA --depth L</c>).
/// </summary>
internal static class AnalyticKernelEntries
{
    private const N Needs = N.DataOnly | N.OptIn;

    private sealed record Kernels(InfiniteWidthKernels K, double[] Descending);

    private static string? Na(MeasureContext c) => c.Options.AnalyticNtkDepth switch
    {
        null => "opt-in: the analytic infinite-width NTK of a bias-free ReLU MLP on the measured samples (gradscope ntk-analytic DATA --depth L; MeasureOptions.AnalyticNtkDepth)",
        < 0 and var l => $"the depth must be >= 0 hidden layers, got {l}",
        _ => null,
    };

    private static Kernels Compute(MeasureContext c) => c.Memo("ntk_analytic", () =>
    {
        var sample = c.Sample;
        var k = AnalyticNtk.Compute(sample.X, sample.N, c.Options.AnalyticNtkDepth!.Value);
        var eig = SymmetricEigenvalues.Of(k.Ntk, sample.N);
        System.Array.Reverse(eig);
        return new Kernels(k, eig);
    });

    private static IMeasure Scalar(string key, string symbol, string formula, Func<MeasureContext, Kernels, double> value) =>
        Of(key, symbol, formula, "5", Needs, C.Kernel, Na, (c, s) => s.Set(key, value(c, Compute(c))), "ntk_analytic.*");

    private static IMeasure Matrix(string key, string symbol, string formula, Func<Kernels, double[]> value) =>
        Entry.Array(key, symbol, formula, "5", Needs, C.Kernel, Na, (c, s) => { var k = Compute(c); s.SetArray(key, [k.K.N, k.K.N], value(k)); }, "ntk_analytic.*");

    public static IEnumerable<IMeasure> All()
    {
        yield return Scalar("ntk_analytic.depth", "L", "hidden ReLU layers of the infinitely wide MLP", (c, _) => c.Options.AnalyticNtkDepth!.Value);
        yield return Scalar("ntk_analytic.samples", "n", "measured samples the kernels are computed on", (_, k) => k.K.N);
        yield return Scalar("ntk_analytic.trace", "tr Theta^L", "trace of the analytic NTK, sum_i (L+1)||x_i||^2/d", (_, k) => { double t = 0; for (int i = 0; i < k.K.N; i++) t += k.K.Ntk[i * k.K.N + i]; return t; });
        yield return Scalar("ntk_analytic.frobenius", "||Theta^L||_F", "Frobenius norm of the analytic NTK", (_, k) => System.Numerics.Tensors.TensorPrimitives.Norm<double>(k.K.Ntk));
        yield return Scalar("ntk_analytic.lambda_max", "lambda_max(Theta^L)", "largest eigenvalue of the analytic NTK", (_, k) => k.Descending[0]);
        yield return Scalar("ntk_analytic.lambda_min", "lambda_min(Theta^L)", "smallest eigenvalue of the analytic NTK", (_, k) => k.Descending[^1]);
        yield return Of("ntk_analytic.condition", "kappa(Theta^L)", "lambda_max / lambda_min of the analytic NTK (omitted when lambda_min <= 0)", "5", Needs, C.Kernel, Na, (c, s) =>
        {
            var k = Compute(c);
            if (k.Descending[^1] > 0) s.Set("ntk_analytic.condition", k.Descending[0] / k.Descending[^1]);
            else s.Omit("ntk_analytic.condition", $"lambda_min = {k.Descending[^1]:G3} <= 0: the analytic NTK is singular to rounding (e.g. repeated or zero rows)");
        }, "ntk_analytic.*");
        yield return Matrix("ntk_analytic.ntk", "Theta^L", "the analytic NTK (n, n) on the measured samples", k => k.K.Ntk);
        yield return Matrix("ntk_analytic.nngp", "Sigma^L", "the analytic NNGP kernel (n, n) on the measured samples", k => k.K.Nngp);
        yield return Entry.Array("ntk_analytic.eigenvalues", "lambda(Theta^L)", "every eigenvalue of the analytic NTK, descending (n,)", "5", Needs, C.Kernel, Na,
            (c, s) => { var k = Compute(c); s.SetArray("ntk_analytic.eigenvalues", [k.Descending.Length], k.Descending); }, "ntk_analytic.*");
    }
}
