using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradscope.Nn;

using Gradscope.Autodiff;
using Gradscope.Tensors;

/// <summary>
/// A chain of layers, like PyTorch's nn.Sequential: parameter names are
/// "{layer index}.{weight|bias}" ("0.weight", "2.weight", ...), so state_dicts move both ways.
/// All parameters live in one flat vector <see cref="Flat"/> (and gradients in <see cref="FlatGrad"/>),
/// in layer order, so algorithms can treat W as a single vector.
/// </summary>
public sealed class Sequential<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Layer<T>[] _layers;
    private readonly NamedParameter<T>[] _named;

    /// <summary>Builds the chain for inputs of per-sample shape <paramref name="inputShape"/>; checks every layer's shape.</summary>
    public Sequential(int[] inputShape, params Layer<T>[] layers)
    {
        InputShape = (int[])inputShape.Clone();
        _layers = layers;
        var shape = InputShape;
        var named = new List<NamedParameter<T>>();
        var shapes = new List<int[]>();
        var buffers = new List<NamedParameter<T>>();
        for (int i = 0; i < layers.Length; i++)
        {
            shapes.Add(shape);
            try { shape = layers[i].OutputShape(shape); }
            catch (ArgumentException e) { throw new ArgumentException($"Layer {i} ({layers[i].Kind}): {e.Message}", e); }
            foreach (var p in layers[i].Parameters) named.Add(new NamedParameter<T>($"{i}.{p.Name}", i, p));
            foreach (var b in layers[i].Buffers) buffers.Add(new NamedParameter<T>($"{i}.{b.Name}", i, b));
        }
        _chains = LinearChains(layers);
        NamedBuffers = buffers.ToArray();
        LayerInputShapes = shapes;
        OutputShape = shape;
        _named = named.ToArray();
        int total = 0;
        foreach (var np in _named) total = checked(total + np.Parameter.Length);
        MemoryLimit.CheckBytes($"the flat parameter and gradient vectors of {total} parameters", 2L * total * Unsafe.SizeOf<T>());
        Flat = new T[total];
        FlatGrad = new T[total];
        int offset = 0;
        foreach (var np in _named)
        {
            np.Parameter.Value.Span.CopyTo(Flat.AsSpan(offset));
            np.Parameter.Value.Rebind(Flat, offset);
            np.Parameter.Grad.Rebind(FlatGrad, offset);
            np.Offset = offset;
            offset += np.Parameter.Length;
        }
    }

    // _chains[i]: the bias-free dense weights of the linear run starting at layer i (>= 2 dense layers with only
    // identity layers between), and the index after the run; null where no such run starts.
    private readonly (Parameter<T>[] Weights, int End, int[] Dims)?[] _chains;

    private static (Parameter<T>[] Weights, int End, int[] Dims)?[] LinearChains(Layer<T>[] layers)
    {
        var chains = new (Parameter<T>[], int, int[])?[layers.Length];
        for (int i = 0; i < layers.Length; i++)
        {
            if (layers[i] is not Dense<T> { Bias: null }) continue;
            var run = new List<Dense<T>>();
            int j = i;
            while (j < layers.Length && (layers[j] is Dense<T> { Bias: null } || layers[j] is Identity<T>))
            {
                if (layers[j] is Dense<T> d) run.Add(d);
                j++;
            }
            while (j > i && layers[j - 1] is Identity<T>) j--;   // trailing identities stay ordinary layers
            if (run.Count >= 2)
                chains[i] = (run.Select(d => d.Weight).ToArray(), j, [run[0].In, .. run.Select(d => d.Out)]);
        }
        return chains;
    }

    /// <summary>
    /// Whether <see cref="Forward(Tape{T}, Node{T}, bool)"/> evaluates runs of bias-free dense layers (a deep linear
    /// net) as one matrix chain when that is cheaper for the batch (<see cref="LinearChainNode{T}"/>). Default true;
    /// the values and gradients are the same up to rounding.
    /// </summary>
    public bool FuseLinearChains { get; set; } = true;

    /// <summary>The layers in order.</summary>
    public IReadOnlyList<Layer<T>> Layers => _layers;
    /// <summary>Per-sample input shape.</summary>
    public int[] InputShape { get; }
    /// <summary>Per-sample output shape.</summary>
    public int[] OutputShape { get; }
    /// <summary>Per-sample input shape of each layer.</summary>
    public IReadOnlyList<int[]> LayerInputShapes { get; }
    /// <summary>Parameters with their state_dict names, in order.</summary>
    public IReadOnlyList<NamedParameter<T>> NamedParameters => _named;
    /// <summary>
    /// Non-trainable state with state_dict names ("1.running_mean", "1.running_var"), in order; not in <see cref="Flat"/>.
    /// </summary>
    public IReadOnlyList<NamedParameter<T>> NamedBuffers { get; }
    /// <summary>All parameter values as one vector (views of every parameter point into it).</summary>
    public T[] Flat { get; }
    /// <summary>All parameter gradients as one vector, aligned with <see cref="Flat"/>.</summary>
    public T[] FlatGrad { get; }
    /// <summary>Number of scalar parameters P.</summary>
    public int ParameterCount => Flat.Length;
    /// <summary>Number of outputs per sample (1 for a binary net, C for multiclass).</summary>
    public int Outputs => OutputShape.Aggregate(1, (a, b) => a * b);
    /// <summary>Whether every layer is homogeneous (no biases, no batch norm).</summary>
    public bool IsHomogeneous => _layers.All(l => l.IsHomogeneous);

    /// <summary>The weight parameters W_1..W_L (every parameter named "weight", in order; batch norm scales excluded).</summary>
    public IReadOnlyList<NamedParameter<T>> Weights => _named.Where(p => p.Parameter.Name == "weight" && !_layers[p.LayerIndex].IsNormalization).ToArray();

    /// <summary>The parameter with state_dict name <paramref name="name"/>.</summary>
    public NamedParameter<T> this[string name] =>
        _named.FirstOrDefault(p => p.Name == name) ?? throw new KeyNotFoundException($"The model has no parameter '{name}'; it has {string.Join(", ", _named.Select(p => p.Name))}.");

    /// <summary>Whether some layer's training pass is random (dropout with p &gt; 0).</summary>
    public bool IsStochastic => _layers.Any(l => l.IsStochastic);

    /// <summary>
    /// Sets the clock of every dropout layer: its training masks from now on derive from (<paramref name="seed"/>, its layer
    /// index, <paramref name="step"/>, the number of training passes since this call). The trainer calls it before each step.
    /// </summary>
    public void SetMaskClock(ulong seed, long step)
    {
        for (int i = 0; i < _layers.Length; i++)
            if (_layers[i] is Dropout<T> d) d.SetClock(seed, i, step);
    }

    /// <summary>Zeroes every parameter gradient.</summary>
    public void ZeroGrad() => TensorOps.ClearParallel(FlatGrad.AsSpan());

    /// <summary>Records the forward pass of input x (B, ...InputShape) and returns the output node (B, outputs).</summary>
    public Node<T> Forward(Tape<T> tape, Tensor<T> x, bool training = true) => Forward(tape, tape.Input(x), training);

    /// <summary>Records the forward pass from an input node.</summary>
    public Node<T> Forward(Tape<T> tape, Node<T> x, bool training = true)
    {
        CheckInput(x.Value);
        var h = ToInputShape(tape, x);
        for (int i = 0; i < _layers.Length; i++)
        {
            if (FuseLinearChains && _chains[i] is { } chain && LinearChainNode<T>.IsCheaper(h.Value.Shape[0], chain.Dims))
            {
                if (h.Value.Rank != 2) h = tape.Reshape(h, h.Value.Shape[0], h.Value.Length / Math.Max(1, h.Value.Shape[0]));
                h = tape.LinearChain(h, chain.Weights);
                i = chain.End - 1;
                continue;
            }
            h = _layers[i].Forward(tape, h, training);
        }
        if (h.Value.Rank != 2) h = tape.Reshape(h, h.Value.Shape[0], h.Value.Length / Math.Max(1, h.Value.Shape[0]));
        return h;
    }

    /// <summary>Records the forward pass up to (not including) layer <paramref name="stop"/>: the input of that layer.</summary>
    public Node<T> ForwardTo(Tape<T> tape, Node<T> x, int stop, bool training = false)
    {
        CheckInput(x.Value);
        var h = ToInputShape(tape, x);
        for (int i = 0; i < stop; i++) h = _layers[i].Forward(tape, h, training);
        return h;
    }

    // A flattened (B, D) input of a model with per-sample shape (C, H, W) is viewed as (B, C, H, W).
    private Node<T> ToInputShape(Tape<T> tape, Node<T> x)
    {
        if (x.Value.Rank == InputShape.Length + 1) return x;
        var shape = new int[InputShape.Length + 1];
        shape[0] = x.Value.Shape[0];
        InputShape.CopyTo(shape, 1);
        return tape.Reshape(x, shape);
    }

    private void CheckInput(Tensor<T> x)
    {
        int per = 1; foreach (int s in InputShape) per *= s;
        if (x.Rank < 1 || (x.Shape[0] > 0 && x.Length / x.Shape[0] != per) || (x.Rank > 1 && x.Rank != InputShape.Length + 1 && x.Rank != 2))
            throw new ArgumentException($"Model input: got {Tensor<T>.ShapeString(x.Shape)}, expected (B, {string.Join(", ", InputShape)}).");
    }

    /// <summary>Evaluates f on x (no gradients) into a new (B, outputs) tensor.</summary>
    public Tensor<T> Predict(Tensor<T> x)
    {
        var tape = new Tape<T> { GradEnabled = false };
        return Forward(tape, x, training: false).Value.Clone();
    }

    /// <summary>A deep copy of the current parameter vector.</summary>
    public T[] SnapshotParameters() => (T[])Flat.Clone();

    /// <summary>Overwrites the parameter vector.</summary>
    public void LoadParameters(ReadOnlySpan<T> values)
    {
        if (values.Length != Flat.Length) throw new ArgumentException($"LoadParameters: {values.Length} values for {Flat.Length} parameters.");
        values.CopyTo(Flat);
    }
}

/// <summary>A parameter with its state_dict name, its layer index and its offset in the flat vector.</summary>
public sealed class NamedParameter<T>(string name, int layerIndex, Parameter<T> parameter) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>state_dict name, e.g. "2.weight".</summary>
    public string Name { get; } = name;
    /// <summary>Index of the owning layer in the Sequential.</summary>
    public int LayerIndex { get; } = layerIndex;
    /// <summary>The parameter.</summary>
    public Parameter<T> Parameter { get; } = parameter;
    /// <summary>Offset of its first element in <see cref="Sequential{T}.Flat"/>.</summary>
    public int Offset { get; internal set; }
    /// <summary>The value tensor.</summary>
    public Tensor<T> Value => Parameter.Value;
    /// <summary>The gradient tensor.</summary>
    public Tensor<T> Grad => Parameter.Grad;
}
