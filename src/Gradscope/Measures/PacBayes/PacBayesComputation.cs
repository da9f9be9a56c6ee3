using System.Diagnostics;
using System.Numerics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>
/// The whole PAC-Bayes computation of Dziugaite &amp; Roy 2017 on a trained binary net (THEORY.md section 5):
/// refuse a net that does not fit its training set, optimize the posterior (<see cref="PosteriorOptimizer{T}"/>),
/// round lambda to the grid (both neighbours tried: the union bound covers every grid point), estimate the
/// posterior's training error from fresh Monte Carlo draws with the Langford-Caruana bound, and compute the
/// PAC-Bayes-kl bound with every term.
/// </summary>
public static class PacBayesComputation
{
    /// <summary>Runs the computation; the model's Flat holds the trained weights (restored on return).</summary>
    public static PacBayesReport Run<T>(Sequential<T> model, double[] w0, Dataset train, Dataset? test, PosteriorOptions options,
        Action<string>? log = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        options.Validate();
        var clock = Stopwatch.StartNew();
        var trained = model.Flat.Select(v => double.CreateChecked(v)).ToArray();
        var objective = new Objective<T>(model, train, LossKind.Logistic);
        double trainErr = 1 - objective.Evaluate(ReadOnlySpan<int>.Empty, gradient: false, training: false).Accuracy;
        if (trainErr > options.MaxTrainError)
            throw new InvalidOperationException($"PAC-Bayes bound: the trained net's training error is {trainErr:F4}, above the allowed {options.MaxTrainError} (max train error); the bound is computed around a net that fits its training set. Train longer or raise the limit.");
        log?.Invoke($"trained net: training error {trainErr:F4}, {model.ParameterCount} parameters, n = {train.N}");

        var result = new PosteriorOptimizer<T>(objective, w0, options).Run(trained, p =>
            log?.Invoke($"posterior step {p.Step}/{options.Iterations}: objective {p.Objective:F4} (surrogate {p.Surrogate:F4}, KL {p.Kl:F1}, lambda {p.Lambda:G4}, |w - w0| {p.DistanceFromInit:F2}, mean s {p.MeanSigma:G3}, lr {p.LearningRate:G2}) {p.StepsPerSecond:F1} steps/s, about {(options.Iterations - p.Step - 1) / Math.Max(p.StepsPerSecond, 1e-9):F0} s left [{clock.Elapsed.TotalSeconds:F0} s]"),
            progressEvery: Math.Max(100, options.Iterations / 200 / 100 * 100));
        foreach (var v in result.W) if (!double.IsFinite(v)) throw new InvalidOperationException("PAC-Bayes posterior optimization diverged: the posterior mean has non-finite entries.");
        foreach (var v in result.S) if (!(v > 0) || !double.IsFinite(v)) throw new InvalidOperationException("PAC-Bayes posterior optimization diverged: a posterior standard deviation is zero or non-finite.");

        var sampler = new StochasticMlp<T>(model, result.W, result.S);
        var rng = new Rng(options.Seed ^ 0x9E3779B97F4A7C15UL);   // a stream independent of the optimization's noise
        var rows = Enumerable.Range(0, train.N).ToArray();
        long errors = 0;
        for (int pass = 0; pass < options.McPasses; pass++)
        {
            errors += sampler.CountErrors(train, rows, rng);
            log?.Invoke($"Monte Carlo pass {pass + 1}/{options.McPasses}: {errors} errors so far [{clock.Elapsed.TotalSeconds:F0} s]");
        }
        long m = (long)options.McPasses * train.N;
        double mcMean = (double)errors / m;
        double mcBound = SampleConvergence.Bound(mcMean, m, options.DeltaPrime);

        var grid = new LambdaGrid(options.GridC, options.GridB, options.GridMaxJ);
        PacBayesTerms? best = null;
        foreach (int j in grid.Neighbours(result.Lambda))
        {
            double kl = GaussianKl.Of(result.W, result.S, w0, grid.Lambda(j));
            var t = PacBayesKlBound.Compute(mcBound, kl, j, grid, train.N, options.Delta);
            if (best is null || t.Bound < best.Value.Bound) best = t;
        }
        var b = best!.Value;

        double testStoch = double.NaN, testDet = double.NaN;
        if (test is not null)
        {
            testStoch = (double)sampler.CountErrors(test, Enumerable.Range(0, test.N).ToArray(), rng) / test.N;
            var testObjective = new Objective<T>(model, test, LossKind.Logistic);
            testDet = 1 - testObjective.Evaluate(ReadOnlySpan<int>.Empty, gradient: false, training: false).Accuracy;
        }
        double dist = 0; for (int i = 0; i < w0.Length; i++) dist += (result.W[i] - w0[i]) * (result.W[i] - w0[i]);
        return new PacBayesReport
        {
            Bound = b.Bound, Kl = b.Kl, TrainErrorMc = mcMean, TrainErrorMcBound = mcBound, M = m,
            TrainErrorDeterministic = trainErr, TestErrorStochastic = testStoch, TestErrorDeterministic = testDet,
            J = b.J, Lambda = b.Lambda, LambdaContinuous = result.Lambda, UnionCost = b.UnionCost, ConfidenceTerm = b.ConfidenceTerm,
            Budget = b.Budget, N = train.N, Parameters = model.ParameterCount, Delta = options.Delta, DeltaPrime = options.DeltaPrime,
            DistanceFromInit = Math.Sqrt(dist), MeanSigma = result.S.Average(), FinalObjective = result.FinalObjective, Steps = result.Steps,
            Seconds = clock.Elapsed.TotalSeconds,
        };
    }
}
