using Gradscope.Data;
using Gradscope.Measures;
using Gradscope.Measures.PacBayes;
using Gradscope.Measures.Registry;
using Gradscope.Tensors;

namespace Gradscope.Tests.Measures.PacBayes;

/// <summary>
/// The registry's pacbayes.* keys: they are the numbers PacBayesComputation reports (no second implementation), and those
/// numbers recompose by the bound's own formulas written out here (the binary kl and its inverse, the union cost, the
/// confidence term, the grid); not-applicable reasons name what is missing.
/// </summary>
public class PacBayesEntriesTests
{
    private static Dataset Binary(int n, ulong seed)
    {
        var rng = new Rng(seed);
        var x = new double[n * 4]; var y = new int[n];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < 4; j++) x[i * 4 + j] = rng.NextNormal();
            y[i] = x[i * 4] + 0.5 * x[i * 4 + 1] > 0 ? 1 : 0;
        }
        return new Dataset("binary", x, y, [4], 2);
    }

    // q ln(q/p) + (1 - q) ln((1 - q)/(1 - p)), 0 ln 0 = 0.
    private static double Kl(double q, double p) => (q > 0 ? q * Math.Log(q / p) : 0) + (q < 1 ? (1 - q) * Math.Log((1 - q) / (1 - p)) : 0);

    // Posterior standard deviations start at sqrt(lambda_0) = e^-3 ~ 0.05 and the prior mean is near the weights, so the KL is
    // of order 1 and the bound lies well inside (0, 1), where kl is well conditioned.
    private static readonly PosteriorOptions Options = new() { Iterations = 40, BatchSize = 10, LearningRate = 0.01, McPasses = 2, MaxTrainError = 1.0, Seed = 3, InitialSigma = 0.05 };

    [Fact]
    public void KeysAreTheComputationsNumbersAndRecomposeByTheBoundsFormulas()
    {
        var net = MeasureTestNets.Mlp([4, 8, 1], bias: true, seed: 21);
        var init = MeasureTestNets.Mlp([4, 8, 1], bias: true, seed: 21);
        var noise = new Rng(22);
        for (int i = 0; i < init.Flat.Length; i++) init.Flat[i] += 0.01 * noise.NextNormal();
        Dataset train = Binary(60, 5), test = Binary(25, 6);
        var r = MeasureRegistry.Compute(new MeasureContext<double>(net, train, test, new MeasureOptions { PacBayesPosterior = Options }, initial: init),
            MeasureRegistry.Select(["pacbayes.*"]));
        var v = r.Values;
        Assert.Equal(PacBayesReport.Keys.Select(k => k.Key).Order(), v.Keys.Order());

        // The same computation called directly: the registry only names its numbers.
        var direct = PacBayesComputation.Run(net, init.Flat.ToArray(), train, test, Options).Measures();
        foreach (var (k, x) in v) Assert.Equal(direct[k], x);

        int n = train.N;
        double j = v["pacbayes.grid_index"];
        Assert.Equal(2.0 * n, v["pacbayes.mc_trials"]);
        Assert.Equal(0.1 * Math.Exp(-j / 100), v["pacbayes.lambda"], 1e-14 * v["pacbayes.lambda"]);
        Assert.Equal(Math.Log(Math.PI * Math.PI * j * j / 6), v["pacbayes.union_cost"], 1e-12);
        Assert.Equal(Math.Log(2 * Math.Sqrt(n) / 0.025), v["pacbayes.confidence_term"], 1e-12);
        Assert.Equal((v["pacbayes.kl"] + v["pacbayes.union_cost"] + v["pacbayes.confidence_term"]) / n, v["pacbayes.budget"], 1e-12);
        Assert.Equal(1 - 0.025 - 0.01, v["pacbayes.confidence"], 1e-15);
        // kl^-1: the bound p >= q solves kl(q || p) = budget, for both inversions.
        double q = v["pacbayes.train_error_mc_bound"], b = v["pacbayes.bound"];
        Assert.True(b >= q && b < 0.999, $"bound {b}, training error bound {q}");
        Assert.Equal(v["pacbayes.budget"], Kl(q, b), 1e-8);
        double e = v["pacbayes.train_error_mc"], eb = v["pacbayes.train_error_mc_bound"];
        Assert.True(eb >= e);
        Assert.Equal(Math.Log(2 / 0.01) / v["pacbayes.mc_trials"], Kl(e, eb), 1e-8);
        Assert.Equal(40.0, v["pacbayes.steps"]);
        Assert.True(v["pacbayes.kl"] >= 0 && v["pacbayes.distance_from_init"] > 0 && v["pacbayes.mean_sigma"] > 0);
        Assert.InRange(v["pacbayes.test_error_stochastic"], 0, 1);
    }

    [Fact]
    public void ReasonsNameWhatIsMissing()
    {
        var net = MeasureTestNets.Mlp([4, 8, 1], bias: true, seed: 21);
        var data = Binary(30, 5);
        string Reason(MeasureContext c) => MeasureRegistry.Compute(c, MeasureRegistry.Select(["pacbayes.bound"])).Omitted.Single(o => o.Key == "pacbayes.*").Reason;
        Assert.StartsWith("opt-in", Reason(new MeasureContext<double>(net, data)));
        var on = new MeasureOptions { PacBayesPosterior = Options };
        Assert.Contains("initialization", Reason(new MeasureContext<double>(net, data, options: on)));
        var multi = MeasureTestNets.Mlp([4, 8, 3], bias: true, seed: 2);
        Assert.Contains("binary nets (one output); the net has 3 outputs", Reason(new MeasureContext<double>(multi, MeasureTestNets.Gaussian(30, 4, 3, 1), options: on)));
        // The computation's own refusal (a net that does not fit its training set) is the reason.
        var strict = new MeasureOptions { PacBayesPosterior = Options with { MaxTrainError = 0.0 }, InitialParameters = net.Flat.ToArray() };
        var why = Reason(new MeasureContext<double>(net, data, options: strict));
        Assert.Contains("training error", why);
    }
}
