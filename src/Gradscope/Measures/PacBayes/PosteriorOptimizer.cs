using System.Numerics;

namespace Gradscope.Measures.PacBayes;

using Gradscope.Losses;
using Gradscope.Tensors;
using Gradscope.Training;

/// <summary>One progress report of <see cref="PosteriorOptimizer{T}"/>.</summary>
public readonly record struct PosteriorProgress(int Step, double Objective, double Surrogate, double Kl, double Lambda);

/// <summary>The optimized posterior N(W, diag(S^2)) and continuous prior variance.</summary>
public sealed record PosteriorResult(double[] W, double[] S, double Lambda, double FinalObjective, int Steps);

/// <summary>
/// Optimizes the PAC-Bayes surrogate of Dziugaite &amp; Roy 2017 (section 3, eq. for B_RE and the objective
/// min_{w,s,lambda} e_surr(Q) + sqrt(B / 2)) over the posterior Q = N(w, diag(s^2)) and the prior variance:
/// e_surr = the logistic loss / ln 2 (an upper bound on the 0-1 loss) at one weight sample w + s o eps per
/// minibatch (reparameterization trick), and B = (KL(Q||N(w0, lambda I)) + ln(pi^2 j(lambda)^2 / 6) + ln(2 sqrt(n)/delta)) / n
/// with the continuous grid index j(lambda) = b ln(c/lambda): the numerator of the final bound
/// (THEORY.md section 5; the paper's B_RE uses ln(pi^2 n / (6 delta)) and n - 1, the same to O(ln n / n)).
/// Gradients: the model's backward pass gives g = dL/dw~ at w~ = w + s o eps, so dL/dw = g and dL/ds = g o eps;
/// s = softplus(rho), lambda = exp(log lambda); Adam on (w, rho, log lambda).
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
        _objective = objective; _w0 = w0; _options = options;
    }

    /// <summary>Runs the optimization from the posterior mean <paramref name="trained"/>; throws InvalidOperationException on divergence (a non-finite objective).</summary>
    public PosteriorResult Run(double[] trained, Action<PosteriorProgress>? progress = null, int progressEvery = 100)
    {
        var o = _options;
        var model = _objective.Model;
        int d = model.ParameterCount, n = _objective.Data.N;
        var grid = new LambdaGrid(o.GridC, o.GridB, o.GridMaxJ);
        double conf = Math.Log(2 * Math.Sqrt(n) / o.Delta);
        var w = (double[])trained.Clone();
        var rho = new double[d];
        for (int i = 0; i < d; i++) rho[i] = Softplus.Inverse(o.InitialSigma ?? Math.Max(o.InitialSigmaScale * Math.Abs(w[i]), 1e-6));
        double logLambda = Math.Log(o.InitialLambda);
        var adam = new Adam(2 * d + 1, o.LearningRate, o.SigmaLearningRate ?? o.LearningRate);
        var grad = new double[2 * d + 1];
        var eps = new double[d];
        var rng = new Rng(o.Seed);
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        int cursor = n;
        double objectiveValue = double.NaN;
        var flat = model.Flat;
        for (int step = 0; step < o.Iterations; step++)
        {
            if (cursor + o.BatchSize > n) { rng.Shuffle(order.AsSpan()); cursor = 0; }
            var batch = order.AsSpan(cursor, Math.Min(o.BatchSize, n)); cursor += batch.Length;
            for (int i = 0; i < d; i++)
            {
                eps[i] = rng.NextNormal();
                flat[i] = T.CreateChecked(w[i] + Softplus.Of(rho[i]) * eps[i]);
            }
            var eval = _objective.Evaluate(batch);
            var (term, kl) = BoundTerm.Evaluate(w, rho, logLambda, _w0, grid, n, conf,
                grad.AsSpan(0, d), grad.AsSpan(d, d), out grad[2 * d]);
            double lambda = Math.Exp(logLambda);
            double surrogate = eval.L / Math.Log(2);
            objectiveValue = surrogate + term;
            if (!double.IsFinite(objectiveValue))
                throw new InvalidOperationException($"PAC-Bayes posterior optimization diverged at step {step}: the objective is {objectiveValue} (surrogate {surrogate}, KL {kl}). Try a smaller learning rate.");
            var g = model.FlatGrad;
            double invLn2 = 1 / Math.Log(2);
            for (int i = 0; i < d; i++)
            {
                double gi = double.CreateChecked(g[i]) * invLn2;    // d surrogate / d w~ at w~ = w + s o eps
                grad[i] += gi;
                grad[d + i] += gi * eps[i] * Softplus.Derivative(rho[i]);
            }
            adam.Step(grad, w, rho, ref logLambda);
            if (progress is not null && (step % progressEvery == 0 || step == o.Iterations - 1))
                progress(new PosteriorProgress(step, objectiveValue, surrogate, kl, lambda));
        }
        var sOut = new double[d];
        for (int i = 0; i < d; i++) sOut[i] = Softplus.Of(rho[i]);
        for (int i = 0; i < d; i++) flat[i] = T.CreateChecked(trained[i]);
        return new PosteriorResult(w, sOut, Math.Exp(logLambda), objectiveValue, o.Iterations);
    }

    /// <summary>Adam (Kingma &amp; Ba 2015) over the concatenation (w, rho, log lambda), one learning rate for w and one for (rho, log lambda).</summary>
    private sealed class Adam(int size, double lrW, double lrSigma)
    {
        private readonly double[] _m = new double[size], _v = new double[size];
        private long _t;

        public void Step(double[] grad, double[] w, double[] rho, ref double logLambda)
        {
            const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
            _t++;
            double c1 = 1 - Math.Pow(b1, _t), c2 = 1 - Math.Pow(b2, _t);
            int d = w.Length;
            for (int i = 0; i < grad.Length; i++)
            {
                _m[i] = b1 * _m[i] + (1 - b1) * grad[i];
                _v[i] = b2 * _v[i] + (1 - b2) * grad[i] * grad[i];
                double delta = (i < d ? lrW : lrSigma) * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + eps);
                if (i < d) w[i] -= delta;
                else if (i < 2 * d) rho[i - d] -= delta;
                else logLambda -= delta;
            }
        }
    }
}
