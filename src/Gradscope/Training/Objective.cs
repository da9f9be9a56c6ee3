using System.Numerics;

namespace Gradscope.Training;

using Gradscope.Autodiff;
using Gradscope.Data;
using Gradscope.Losses;
using Gradscope.Nn;
using Gradscope.Tensors;

/// <summary>The loss at the current parameters, from one forward/backward pass.</summary>
public readonly record struct LossEval(double L, double LogL, int Correct, int Count)
{
    /// <summary>Training accuracy on the evaluated samples.</summary>
    public double Accuracy => Count == 0 ? 0 : (double)Correct / Count;
}

/// <summary>
/// The empirical risk L(W) of a model on a dataset as a function of the flat parameter vector
/// (THEORY.md section 2). <see cref="Evaluate"/> runs forward and backward and leaves
/// grad L (or grad log L) in <see cref="Sequential{T}.FlatGrad"/>. Buffers are reused, so
/// repeated calls with the same batch size allocate nothing.
/// </summary>
public sealed class Objective<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Tape<T> _tape = new();
    private readonly Tensor<T> _all;            // the whole dataset in T, (n, ...sample shape)
    private Tensor<T>? _batch;
    private Tensor<T>? _window;                  // a view of _all for a batch of consecutive samples
    private int[] _batchLabels = [];

    /// <summary>Creates the objective; checks that the dataset fits the model's input and output.</summary>
    public Objective(Sequential<T> model, Dataset data, LossKind loss, double targetScale = 1.0)
    {
        Model = model; Data = data; Loss = loss; TargetScale = targetScale;
        int per = 1; foreach (int s in model.InputShape) per *= s;
        if (per != data.D)
            throw new ArgumentException($"Dataset '{data.Name}' has {data.D} features per sample but the model's first layer expects {per} (shape ({string.Join(", ", model.InputShape)})).");
        int outputs = model.Outputs;
        if (outputs == 1 ? data.Classes != 2 : outputs != data.Classes)
            throw new ArgumentException($"Dataset '{data.Name}' has {data.Classes} classes but the model has {outputs} outputs (binary tasks use 1 output, C classes use C).");
        _all = InputsOf(model, data);
    }

    /// <summary>The samples of <paramref name="data"/> as one tensor (n, ...the model's input shape) in T.</summary>
    public static Tensor<T> InputsOf(Sequential<T> model, Dataset data)
    {
        var shape = new int[model.InputShape.Length + 1];
        shape[0] = data.N; model.InputShape.CopyTo(shape, 1);
        var inputs = new Tensor<T>(shape);
        var span = inputs.Span;
        for (int i = 0; i < span.Length; i++) span[i] = T.CreateChecked(data.X[i]);
        return inputs;
    }

    /// <summary>The model whose flat parameters are the variable.</summary>
    public Sequential<T> Model { get; }
    /// <summary>The training set.</summary>
    public Dataset Data { get; }
    /// <summary>The loss.</summary>
    public LossKind Loss { get; }
    /// <summary>Target scale of the square loss.</summary>
    public double TargetScale { get; }
    /// <summary>The whole training input as one tensor.</summary>
    public Tensor<T> Inputs => _all;
    /// <summary>The activation pattern the ReLU ops of <see cref="Evaluate"/> use (null: ordinary ReLU); see <see cref="ActivationPattern{T}"/>.</summary>
    public ActivationPattern<T>? Pattern { get => _tape.Pattern; set => _tape.Pattern = value; }
    /// <summary>Number of forward/backward passes so far (cost accounting).</summary>
    public long Evaluations { get; private set; }

    /// <summary>
    /// Forward and backward on the samples at <paramref name="indices"/> (all samples when empty):
    /// overwrites <see cref="Sequential{T}.FlatGrad"/> with grad L (output Value) or grad log L (output Log).
    /// With <paramref name="gradient"/> false only the forward pass runs.
    /// </summary>
    public LossEval Evaluate(ReadOnlySpan<int> indices, LossOutput output = LossOutput.Value, bool gradient = true, bool training = true)
    {
        Tensor<T> x; ReadOnlySpan<int> labels;
        if (indices.IsEmpty) { x = _all; labels = Data.Y; }
        else if (IsContiguous(indices))
        {
            // a run of consecutive samples is a view of the whole input: no copy (a minibatch of 256 MNIST-sized
            // samples is 0.8 MB, which took as long as the first layer's product at width 64)
            int b = indices.Length, start = indices[0];
            if (_window is null || _window.Shape[0] != b)
            {
                var shape = (int[])_all.Shape.Clone(); shape[0] = b;
                _window = new Tensor<T>(_all.Buffer, _all.Offset, shape);
            }
            _window.Rebind(_all.Buffer, _all.Offset + start * Data.D);
            x = _window; labels = Data.Y.AsSpan(start, b);
        }
        else
        {
            int b = indices.Length, d = Data.D;
            if (_batch is null || _batch.Shape[0] != b)
            {
                var shape = (int[])_all.Shape.Clone(); shape[0] = b;
                _batch = new Tensor<T>(shape);
                _batchLabels = new int[b];
            }
            var src = _all.Span; var dst = _batch.Span;
            for (int k = 0; k < b; k++)
            {
                src.Slice(indices[k] * d, d).CopyTo(dst.Slice(k * d, d));
                _batchLabels[k] = Data.Y[indices[k]];
            }
            x = _batch; labels = _batchLabels;
        }
        _tape.Reset();
        _tape.GradEnabled = gradient;
        var z = Model.Forward(_tape, x, training);
        var loss = _tape.Loss(z, labels, Loss, TargetScale, output);
        if (gradient)
        {
            Model.ZeroGrad();
            _tape.Backward(loss);
        }
        Evaluations++;
        return new LossEval(loss.L, loss.LogL, CountCorrect(z.Value, labels), labels.Length);
    }

    // whether indices are i0, i0 + 1, ..., i0 + b - 1 inside the dataset
    private bool IsContiguous(ReadOnlySpan<int> indices)
    {
        int start = indices[0];
        if (start < 0 || (long)start + indices.Length > Data.N) return false;
        for (int k = 1; k < indices.Length; k++)
            if (indices[k] != start + k) return false;
        return true;
    }

    /// <summary>Full-batch loss and gradient at parameters <paramref name="w"/> (the model's parameters are set to w).</summary>
    public LossEval EvaluateAt(ReadOnlySpan<T> w, LossOutput output = LossOutput.Value)
    {
        Model.LoadParameters(w);
        return Evaluate(ReadOnlySpan<int>.Empty, output);
    }

    /// <summary>Counts predictions equal to the labels: binary nets predict 1 iff f(x) &gt; 0; multiclass nets the argmax.</summary>
    public static int CountCorrect(Tensor<T> z, ReadOnlySpan<int> labels)
    {
        int n = z.Shape[0], c = z.Length / Math.Max(1, n), correct = 0;
        var s = z.Span;
        for (int i = 0; i < n; i++)
        {
            int pred;
            if (c == 1) pred = s[i] > T.Zero ? 1 : 0;
            else
            {
                pred = 0;
                for (int j = 1; j < c; j++) if (s[i * c + j] > s[i * c + pred]) pred = j;
            }
            if (pred == labels[i]) correct++;
        }
        return correct;
    }
}
