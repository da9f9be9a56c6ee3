using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Losses;

/// <summary>
/// GD with backtracking line search (THEORY.md section 4): from eta = <see cref="InitialEta"/>, shrink
/// eta &lt;- beta eta until the Armijo condition F(W - eta g) &lt;= F(W) - c eta ||g||^2 holds, where
/// F = L + (lambda/2) ||W||^2 and g = grad F. <see cref="StepResult.TimeAdvanced"/> is the accepted eta.
/// When no eta above <see cref="MinEta"/> satisfies the condition the parameters are left unchanged and
/// TimeAdvanced is 0.
/// </summary>
public sealed class ArmijoGd<T> : Algorithm<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[] _w0 = [], _g = [];

    /// <summary>Creates the line search; throws unless eta0 &gt; 0, 0 &lt; shrink &lt; 1 and 0 &lt; c &lt; 1.</summary>
    public ArmijoGd(double initialEta = 1.0, double shrink = 0.5, double c = 1e-4, double minEta = 1e-12)
    {
        if (!(initialEta > 0)) throw new ArgumentException($"armijo_gd: initial eta must be > 0, got {initialEta}.");
        if (!(shrink > 0 && shrink < 1)) throw new ArgumentException($"armijo_gd: shrink factor must be in (0, 1), got {shrink}.");
        if (!(c > 0 && c < 1)) throw new ArgumentException($"armijo_gd: c must be in (0, 1), got {c}.");
        InitialEta = initialEta; Shrink = shrink; C = c; MinEta = minEta;
    }

    /// <summary>First trial step size of every line search.</summary>
    public double InitialEta { get; }
    /// <summary>Backtracking factor beta.</summary>
    public double Shrink { get; }
    /// <summary>Sufficient-decrease constant c of the Armijo condition.</summary>
    public double C { get; }
    /// <summary>Smallest trial step size.</summary>
    public double MinEta { get; }
    /// <summary>The step size accepted by the last step (0 if none was).</summary>
    public double LastEta { get; private set; }
    /// <summary>Trial evaluations of the last line search.</summary>
    public int LastTrials { get; private set; }

    /// <inheritdoc/>
    public override string Name => "armijo_gd";

    /// <inheritdoc/>
    public override void Initialize(Objective<T> objective)
    {
        int p = objective.Model.ParameterCount;
        if (_w0.Length != p) { _w0 = new T[p]; _g = new T[p]; }
    }

    /// <inheritdoc/>
    public override StepResult Step(Objective<T> objective, ReadOnlySpan<int> batch, in StepContext context)
    {
        Initialize(objective);
        var model = objective.Model;
        var eval = objective.Evaluate(batch, LossOutput.Value);
        var w = model.Flat.AsSpan();
        w.CopyTo(_w0);
        double lambda = context.WeightDecay;
        T lam = T.CreateChecked(lambda);
        TensorPrimitives.MultiplyAdd(_w0, lam, model.FlatGrad, _g);   // g = grad L + lambda W
        double f0 = eval.L + 0.5 * lambda * SquaredNorm(_w0);
        double gg = SquaredNorm(_g);
        LastTrials = 0;
        for (double eta = InitialEta; eta >= MinEta; eta *= Shrink)
        {
            TensorPrimitives.MultiplyAdd(_g, T.CreateChecked(-eta), _w0, w);
            var trial = objective.Evaluate(batch, LossOutput.Value, gradient: false);
            LastTrials++;
            double f = trial.L + 0.5 * lambda * SquaredNorm(w);
            if (f <= f0 - C * eta * gg)
            {
                LastEta = eta;
                return new StepResult(eval, eta);
            }
        }
        _w0.CopyTo(w);
        LastEta = 0;
        return new StepResult(eval, 0);
    }

    private static double SquaredNorm(ReadOnlySpan<T> v) => double.CreateChecked(TensorPrimitives.Dot(v, v));

    /// <inheritdoc/>
    public override void SaveState(IDictionary<string, double[]> state) => AlgorithmState.Put(state, "armijo.last_eta", LastEta);

    /// <inheritdoc/>
    public override void LoadState(IReadOnlyDictionary<string, double[]> state) => LastEta = AlgorithmState.Get(state, Name, "armijo.last_eta", 1)[0];
}
