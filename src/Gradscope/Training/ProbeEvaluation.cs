using System.Numerics;
using System.Numerics.Tensors;

namespace Gradscope.Training;

using Gradscope.Autodiff;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Measures;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>
/// The full-set quantities probes and stopping rules share, from one forward pass (evaluation mode):
/// L, log L, accuracy, minimum raw margin min_i m_i, the layers' ||T_k||_F, rho = prod_k ||T_k||_F and the
/// min normalized margin gamma = min_i m_i / rho (THEORY.md sections 1 and 3), plus the outputs z themselves.
/// A conv or locally connected layer enters as the operator it applies (THEORY.md section 1), as the registry's
/// layer.{k}.frobenius and rho define it; a dense layer as its weight matrix.
/// </summary>
public sealed class ProbeEvaluation<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tape<T> _tape = new() { GradEnabled = false };
    private readonly Tensor<T> _inputs;
    private readonly Parameter<T>[] _weights;
    private readonly double[] _fro;
    // Conv and locally connected layers: their operators over a double copy of the kernels (null for a dense net).
    private readonly IReadOnlyList<WeightMatrix>? _kernels;
    private readonly IReadOnlyList<LayerOperator>? _operators;

    /// <summary>Prepares the evaluation of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public ProbeEvaluation(Sequential<T> model, Dataset data, LossKind loss, double targetScale)
    {
        Model = model; Data = data; LossKind = loss; TargetScale = targetScale;
        _inputs = Objective<T>.InputsOf(model, data);
        var named = model.Weights;
        _weights = named.Select(w => w.Parameter).ToArray();
        _fro = new double[_weights.Length];
        IsOperator = named.Select(w => model.Layers[w.LayerIndex] is Conv2d<T> or LocallyConnected2d<T>).ToArray();
        if (IsOperator.Any(x => x))
        {
            _kernels = WeightMatrix.Of(model);
            _operators = LayerOperator.Of(model, _kernels);
        }
    }

    /// <summary>The model.</summary>
    public Sequential<T> Model { get; }
    /// <summary>The evaluated set.</summary>
    public Dataset Data { get; }
    /// <summary>The loss.</summary>
    public LossKind LossKind { get; }
    /// <summary>Square-loss target scale.</summary>
    public double TargetScale { get; }

    /// <summary>Outputs z (n, C) of the last <see cref="Run"/>.</summary>
    public Tensor<T>? Outputs { get; private set; }
    /// <summary>L of the last run.</summary>
    public double L { get; private set; }
    /// <summary>log L of the last run.</summary>
    public double LogL { get; private set; }
    /// <summary>Accuracy of the last run.</summary>
    public double Accuracy { get; private set; }
    /// <summary>min_i m_i of the last run.</summary>
    public double MinMargin { get; private set; }
    /// <summary>||T_k||_F of each weight layer at the last run, in the order of <see cref="Sequential{T}.Weights"/> (registry key layer.{k}.frobenius).</summary>
    public ReadOnlySpan<double> LayerFrobenius => _fro;
    /// <summary>Per weight layer: whether it is a conv or locally connected layer, whose operator T_k is not its kernel matrix.</summary>
    public IReadOnlyList<bool> IsOperator { get; }
    /// <summary>rho = prod_k ||T_k||_F at the last run (<see cref="Measures.Rho.Product"/>, the one place rho is formed).</summary>
    public double Rho { get; private set; }
    /// <summary>gamma = min_i m_i / rho of the last run.</summary>
    public double Gamma => MinMargin / Rho;

    /// <summary>Runs the forward pass at the current weights and fills every property.</summary>
    public void Run()
    {
        _tape.Reset();
        var z = Model.Forward(_tape, _inputs, training: false);
        var loss = _tape.Loss(z, Data.Y, LossKind, TargetScale, LossOutput.Value);
        Outputs = z.Value;
        L = loss.L; LogL = loss.LogL;
        Accuracy = (double)Objective<T>.CountCorrect(z.Value, Data.Y) / Data.N;
        MinMargin = MinimumMargin(z.Value, Data.Y);
        if (_kernels is not null) WeightMatrix.Of(Model, _kernels);
        for (int k = 0; k < _weights.Length; k++)
            _fro[k] = _operators is not null && IsOperator[k] ? _operators[k].Frobenius() : Frobenius(_weights[k].Value.Span);
        Rho = Measures.Rho.Product(_fro);
    }

    /// <summary>min_i m_i with m_i = y_i f(x_i) (binary, y in {-1, +1}) or z_y - max_{j != y} z_j (multiclass).</summary>
    public static double MinimumMargin(Tensor<T> z, ReadOnlySpan<int> labels)
    {
        int n = z.Shape[0], c = z.Length / Math.Max(1, n);
        var s = z.Span;
        double min = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            double m;
            if (c == 1) m = (labels[i] == 1 ? 1 : -1) * double.CreateChecked(s[i]);
            else
            {
                double zy = double.CreateChecked(s[i * c + labels[i]]), other = double.NegativeInfinity;
                for (int j = 0; j < c; j++) if (j != labels[i]) other = Math.Max(other, double.CreateChecked(s[i * c + j]));
                m = zy - other;
            }
            min = Math.Min(min, m);
        }
        return min;
    }

    /// <summary>||W||_F of one parameter, accumulated in double.</summary>
    public static double Frobenius(ReadOnlySpan<T> w)
    {
        double s = 0;
        foreach (var v in w) { double d = double.CreateChecked(v); s += d * d; }
        return Math.Sqrt(s);
    }
}
