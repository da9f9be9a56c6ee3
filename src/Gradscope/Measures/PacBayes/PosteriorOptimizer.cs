using System.Diagnostics;
using System.Numerics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Losses;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>One progress report of <see cref="PosteriorOptimizer{T}"/>.</summary>
public readonly record struct PosteriorProgress(int Step, double Objective, double Surrogate, double Kl, double Lambda,
    double DistanceFromInit, double MeanSigma, double LearningRate, double StepsPerSecond);

/// <summary>The optimized posterior N(W, diag(S^2)) and continuous prior variance.</summary>
public sealed record PosteriorResult(double[] W, double[] S, double Lambda, double FinalObjective, int Steps);

/// <summary>
/// Optimizes the PAC-Bayes surrogate of Dziugaite &amp; Roy 2017 (section 3: min over w, s, lambda of
/// e_surr(Q) + sqrt(B_RE / 2)) over the posterior Q = N(w, diag(s^2)) and the prior variance lambda:
/// e_surr = the logistic loss / ln 2 (an upper bound on the 0-1 loss) at one weight sample w + s o eps per
/// minibatch (reparameterization trick), B_RE as in <see cref="BoundTerm"/>.
/// Gradients: the net's backward pass gives g = dL/dw~ at w~ = w + s o eps, so dL/dw = g and
/// dL/dlog s = g o eps o s (plus the complexity term's gradient). The steps run in float32 as the paper's
/// TensorFlow 1 code (<see cref="PosteriorSteps"/>); the result is returned in double, and the final bound's
/// terms are computed in double from it. Dense/ReLU nets. The optimized variables are (w, log s, log lambda^(1/2)) as in the released code
/// (log_post_std, log_prior_std; the factor 1/2 on log lambda only rescales its step). RMSprop (the paper's
/// optimizer) or Adam, one learning rate (optionally a second one for log s and log lambda), multiplied by a drop factor after a fraction of the steps
/// (the released code: 1e-3, dropped to 1e-4 after 250 of 1000 epochs).
/// </summary>
public sealed class PosteriorOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Objective<T> _objective;
    private readonly double[] _w0;
    private readonly PosteriorOptions _options;
    private readonly MlpLayout _layout;

    /// <summary>The optimizer for the model in <paramref name="objective"/> (logistic loss, binary task) with prior mean w0.</summary>
    public PosteriorOptimizer(Objective<T> objective, double[] w0, PosteriorOptions options)
    {
        options.Validate();
        if (objective.Loss != LossKind.Logistic || objective.Model.Outputs != 1)
            throw new ArgumentException("PAC-Bayes posterior: the surrogate is the logistic loss of a binary net (one output).");
        if (w0.Length != objective.Model.ParameterCount)
            throw new ArgumentException($"PAC-Bayes posterior: the prior mean has {w0.Length} entries, the model {objective.Model.ParameterCount} parameters.");
        if (objective.Data.N < 2) throw new ArgumentException("PAC-Bayes posterior: at least two training examples are needed (B_RE divides by n - 1).");
        _layout = MlpLayout.Of(objective.Model);
        _objective = objective; _w0 = w0; _options = options;
    }

    /// <summary>The initial posterior standard deviation of a weight: the fixed <see cref="PosteriorOptions.InitialSigma"/>, else scale |w| floored at 1e-6.</summary>
    public static double InitialSigma(PosteriorOptions o, double w) => o.InitialSigma ?? Math.Max(o.InitialSigmaScale * Math.Abs(w), 1e-6);

    /// <summary>
    /// Runs the optimization from the posterior mean <paramref name="trained"/> (<see cref="PosteriorSteps"/>:
    /// float32, one fused pass per step); throws InvalidOperationException on divergence (a non-finite objective).
    /// Progress (at the state before each reported step's update) every <paramref name="progressEvery"/> steps and at the last.
    /// </summary>
    public PosteriorResult Run(double[] trained, Action<PosteriorProgress>? progress = null, int progressEvery = 100)
    {
        var o = _options;
        var steps = new PosteriorSteps(_layout, _objective.Data, _w0, trained, o);
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < o.Iterations; step++)
        {
            bool report = progress is not null && (step % progressEvery == 0 || step == o.Iterations - 1);
            double kl = 0, lambda = 0, dist = 0, sigma = 0;
            if (report) { kl = steps.Kl; lambda = steps.Lambda; dist = steps.DistanceFromInit; sigma = steps.MeanSigma; }
            steps.Next();
            if (report)
                progress!(new PosteriorProgress(step, steps.Objective, steps.Surrogate, kl, lambda, dist, sigma, steps.LearningRateAt(step),
                    (step + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
        }
        return steps.Result();
    }
}
