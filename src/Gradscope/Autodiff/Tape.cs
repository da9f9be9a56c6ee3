using System.Numerics;

namespace Gradscope.Autodiff;

using Gradscope.Tensors;

/// <summary>
/// Reverse-mode autodiff tape. Ops append nodes in forward order; <see cref="Backward"/>
/// walks them in reverse. After <see cref="Reset"/> the same sequence of ops reuses the
/// same node objects and buffers, so a training step allocates nothing once warm.
/// </summary>
public sealed class Tape<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Node<T>> _nodes = new();
    private int _count;

    /// <summary>Number of nodes recorded since the last reset.</summary>
    public int Count => _count;

    /// <summary>Whether ops should record what backward needs (false: inference only, nothing requires grad).</summary>
    public bool GradEnabled { get; set; } = true;

    /// <summary>
    /// The activation pattern ReLU ops record into and take their masks from (null: ordinary ReLU). Used by the
    /// event-locating gradient flow; see <see cref="ActivationPattern{T}"/>.
    /// </summary>
    public ActivationPattern<T>? Pattern { get; set; }

    /// <summary>Forgets the recorded ops but keeps node objects and buffers for reuse.</summary>
    public void Reset() { _count = 0; Pattern?.Rewind(); }

    /// <summary>Returns the node at the cursor if it has type <typeparamref name="TNode"/>, else a new one; advances the cursor.</summary>
    public TNode Push<TNode>() where TNode : Node<T>, new()
    {
        if (_count < _nodes.Count && _nodes[_count] is TNode reused)
        {
            _count++;
            return reused;
        }
        var node = new TNode();
        if (_count < _nodes.Count) _nodes[_count] = node; else _nodes.Add(node);
        _count++;
        return node;
    }

    /// <summary>Records a constant input.</summary>
    public Node<T> Input(Tensor<T> value, bool requiresGrad = false)
    {
        var n = Push<LeafNode<T>>();
        n.Setup(value, requiresGrad && GradEnabled);
        return n;
    }

    /// <summary>Records a parameter; backward accumulates into <see cref="Parameter{T}.Grad"/>.</summary>
    public Node<T> Param(Parameter<T> p)
    {
        var n = Push<ParameterNode<T>>();
        n.Setup(p);
        if (!GradEnabled) n.RequiresGrad = false;
        return n;
    }

    /// <summary>
    /// Back-propagates from <paramref name="output"/> (seeded with d output / d output = 1 for
    /// every element) to every node recorded before it. Parameter gradients accumulate.
    /// </summary>
    public void Backward(Node<T> output)
    {
        int end = _nodes.IndexOf(output);
        if (end < 0 || end >= _count) throw new ArgumentException("Backward: the output node is not on this tape (was the tape reset?).");
        for (int i = 0; i <= end; i++)
            if (_nodes[i].RequiresGrad) _nodes[i].PrepareGrad();
        if (!output.RequiresGrad) return;
        output.Grad!.Span.Fill(T.One);
        for (int i = end; i >= 0; i--)
        {
            var n = _nodes[i];
            if (n.RequiresGrad) n.Backward();
        }
    }
}
