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
/// Gradients: the model's backward pass gives g = dL/dw~ at w~ = w + s o eps, so dL/dw = g and
/// dL/dlog s = g o eps o s. The optimized variables are (w, log s, log lambda^(1/2)) as in the released code
/// (log_post_std, log_prior_std; the factor 1/2 on log lambda only rescales its step). RMSprop (the paper's
/// optimizer) or Adam, one learning rate (optionally a second one for log s and log lambda), multiplied by a drop factor after a fraction of the steps
/// (the released code: 1e-3, dropped to 1e-4 after 250 of 1000 epochs).
/// </summary>
public sealed class PosteriorOptimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Objective<T> _objective;
    private readonly double[] _w0;
    private readonly PosteriorOptions _options;

    /// <summary>The optimizer for the model in <paramref name="objective"/> (logistic loss, binary task) with prior mean w0.</summary>
    public PosteriorOptimizer(Objective<T> objective, double[] w0, PosteriorOptions options)
    {
        options.Validate();
        if (objective.Loss != LossKind.Logistic || objective.Model.Outputs != 1)
            throw new ArgumentException("PAC-Bayes posterior: the surrogate is the logistic loss of a binary net (one output).");
        if (w0.Length != objective.Model.ParameterCount)
            throw new ArgumentException($"PAC-Bayes posterior: the prior mean has {w0.Length} entries, the model {objective.Model.ParameterCount} parameters.");
        if (objective.Data.N < 2) throw new ArgumentException("PAC-Bayes posterior: at least two training examples are needed (B_RE divides by n - 1).");
        _objective = objective; _w0 = w0; _options = options;
    }

    /// <summary>The initial posterior standard deviation of a weight: the fixed <see cref="PosteriorOptions.InitialSigma"/>, else scale |w| floored at 1e-6.</summary>
    public static double InitialSigma(PosteriorOptions o, double w) => o.InitialSigma ?? Math.Max(o.InitialSigmaScale * Math.Abs(w), 1e-6);

    /// <summary>Runs the optimization from the posterior mean <paramref name="trained"/>; throws InvalidOperationException on divergence (a non-finite objective).</summary>
    public PosteriorResult Run(double[] trained, Action<PosteriorProgress>? progress = null, int progressEvery = 100)
    {
        var o = _options;
        var model = _objective.Model;
        int d = model.ParameterCount, n = _objective.Data.N;
        var grid = new LambdaGrid(o.GridC, o.GridB, o.GridMaxJ);
        double conf = BoundTerm.Confidence(n, o.Delta);
        // the optimized vector: w (d), log s (d), log lambda^(1/2) (1)
        var theta = new double[2 * d + 1];
        var grad = new double[2 * d + 1];
        trained.CopyTo(theta, 0);
        for (int i = 0; i < d; i++) theta[d + i] = Math.Log(InitialSigma(o, trained[i]));
        theta[2 * d] = 0.5 * Math.Log(o.InitialLambda);
        IStepRule rule = o.Optimizer == PosteriorOptimizerKind.Adam ? new Adam(theta.Length) : new RmsProp(theta.Length);
        var eps = new double[d];
        var rng = new Rng(o.Seed);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int cursor = n;
        int dropAt = (int)Math.Round(o.LearningRateDropAt * o.Iterations);
        double objectiveValue = double.NaN, invLn2 = 1 / Math.Log(2);
        var flat = model.Flat;
        var clock = Stopwatch.StartNew();
        for (int step = 0; step < o.Iterations; step++)
        {
            if (cursor + o.BatchSize > n) { rng.Shuffle(order.AsSpan()); cursor = 0; }
            var batch = order.AsSpan(cursor, Math.Min(o.BatchSize, n)); cursor += batch.Length;
            for (int i = 0; i < d; i++)
            {
                eps[i] = rng.NextNormal();
                flat[i] = T.CreateChecked(theta[i] + Math.Exp(theta[d + i]) * eps[i]);
            }
            var eval = _objective.Evaluate(batch);
            double logLambda = 2 * theta[2 * d];
            var (term, kl) = BoundTerm.Evaluate(theta.AsSpan(0, d), theta.AsSpan(d, d), logLambda, _w0, grid, n, conf,
                grad.AsSpan(0, d), grad.AsSpan(d, d), out double gLogLambda);
            grad[2 * d] = 2 * gLogLambda;
            double surrogate = eval.L * invLn2;
            objectiveValue = surrogate + term;
            if (!double.IsFinite(objectiveValue))
                throw new InvalidOperationException($"PAC-Bayes posterior optimization diverged at step {step}: the objective is {objectiveValue} (surrogate {surrogate}, KL {kl}). Try a smaller learning rate.");
            var g = model.FlatGrad;
            for (int i = 0; i < d; i++)
            {
                double gi = double.CreateChecked(g[i]) * invLn2;    // d surrogate / d w~ at w~ = w + s o eps
                grad[i] += gi;
                grad[d + i] += gi * eps[i] * Math.Exp(theta[d + i]);
            }
            double drop = step < dropAt ? 1 : o.LearningRateDropFactor;
            double lr = o.LearningRate * drop;
            rule.Step(grad, theta, lr, (o.SigmaLearningRate ?? o.LearningRate) * drop);
            if (progress is not null && (step % progressEvery == 0 || step == o.Iterations - 1))
            {
                double dist = 0, sigma = 0;
                for (int i = 0; i < d; i++) { double dw = theta[i] - _w0[i]; dist += dw * dw; sigma += Math.Exp(theta[d + i]); }
                progress(new PosteriorProgress(step, objectiveValue, surrogate, kl, Math.Exp(logLambda), Math.Sqrt(dist), sigma / d, lr,
                    (step + 1) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
            }
        }
        var wOut = theta.AsSpan(0, d).ToArray();
        var sOut = new double[d];
        for (int i = 0; i < d; i++) sOut[i] = Math.Exp(theta[d + i]);
        for (int i = 0; i < d; i++) flat[i] = T.CreateChecked(trained[i]);
        return new PosteriorResult(wOut, sOut, Math.Exp(2 * theta[2 * d]), objectiveValue, o.Iterations);
    }

    private interface IStepRule { void Step(double[] grad, double[] theta, double lrW, double lrSigma); }

    /// <summary>
    /// RMSprop as in TensorFlow 1 (the released code's tf.train.RMSPropOptimizer): ms = 0.9 ms + 0.1 g^2,
    /// theta -= lr g / sqrt(ms + 1e-10), ms initialized to 1.
    /// </summary>
    // NOTE: TensorFlow 1 starts the mean square at 1, not 0: the first steps are lr g (tiny for the
    // 1e-4-sized gradients here) and grow to the normalized lr g / |g| within ~200 steps as 0.9^t decays.
    private sealed class RmsProp : IStepRule
    {
        private readonly double[] _ms;
        public RmsProp(int size) { _ms = new double[size]; Array.Fill(_ms, 1.0); }

        public void Step(double[] grad, double[] theta, double lrW, double lrSigma)
        {
            int d = (grad.Length - 1) / 2;
            const double decay = 0.9, eps = 1e-10;
            for (int i = 0; i < grad.Length; i++)
            {
                _ms[i] = decay * _ms[i] + (1 - decay) * grad[i] * grad[i];
                theta[i] -= (i < d ? lrW : lrSigma) * grad[i] / Math.Sqrt(_ms[i] + eps);
            }
        }
    }

    /// <summary>Adam (Kingma &amp; Ba 2015) with beta1 = 0.9, beta2 = 0.999, eps = 1e-8.</summary>
    private sealed class Adam(int size) : IStepRule
    {
        private readonly double[] _m = new double[size], _v = new double[size];
        private long _t;

        public void Step(double[] grad, double[] theta, double lrW, double lrSigma)
        {
            int d = (grad.Length - 1) / 2;
            const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
            _t++;
            double c1 = 1 - Math.Pow(b1, _t), c2 = 1 - Math.Pow(b2, _t);
            for (int i = 0; i < grad.Length; i++)
            {
                _m[i] = b1 * _m[i] + (1 - b1) * grad[i];
                _v[i] = b2 * _v[i] + (1 - b2) * grad[i] * grad[i];
                theta[i] -= (i < d ? lrW : lrSigma) * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + eps);
            }
        }
    }
}
