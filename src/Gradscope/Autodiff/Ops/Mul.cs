using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace Gradscope.Autodiff;

/// <summary>y = a * b elementwise (Hadamard); b may broadcast (same shape, scalar, or trailing dimensions of a).</summary>
public sealed class MulNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private Node<T> _a = null!, _b = null!;
    private int _m;

    internal void Setup(Node<T> a, Node<T> b)
    {
        _m = Broadcast.Period(a.Value, b.Value, "Mul");
        _a = a; _b = b;
        var y = EnsureValue(a.Value.Shape).Span;
        var av = a.Value.Span; var bv = b.Value.Span;
        if (_m == 1) TP.Multiply(av, bv[0], y);
        else for (int o = 0; o < av.Length; o += _m) TP.Multiply(av.Slice(o, _m), bv, y.Slice(o, _m));
        RequiresGrad = a.RequiresGrad || b.RequiresGrad;
    }

    // da += gy * b (b repeated); db[k] += sum over copies of gy * a
    /// <inheritdoc/>
    protected internal override void Backward()
    {
        var gy = Grad!.Span; var av = _a.Value.Span; var bv = _b.Value.Span;
        if (_a.RequiresGrad)
        {
            var ga = _a.Grad!.Span;
            if (_m == 1) TP.MultiplyAdd(gy, bv[0], ga, ga);
            else for (int o = 0; o < gy.Length; o += _m) TP.MultiplyAdd(gy.Slice(o, _m), bv, ga.Slice(o, _m), ga.Slice(o, _m));
        }
        if (_b.RequiresGrad)
        {
            var gb = _b.Grad!.Span;
            if (_m == 1) gb[0] += TP.Dot(gy, av);
            else for (int o = 0; o < gy.Length; o += _m) TP.MultiplyAdd(gy.Slice(o, _m), av.Slice(o, _m), gb, gb);
        }
    }
}

public static partial class Ops
{
    /// <summary>a * b elementwise (b broadcasts: same shape, scalar, or the trailing dimensions of a).</summary>
    /// <exception cref="ArgumentException">b cannot broadcast to a.</exception>
    public static Node<T> Mul<T>(this Tape<T> tape, Node<T> a, Node<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var n = tape.Push<MulNode<T>>();
        n.Setup(a, b);
        return n;
    }
}
