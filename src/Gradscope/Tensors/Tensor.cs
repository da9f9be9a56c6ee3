using System.Numerics;
using System.Runtime.CompilerServices;

namespace Gradscope.Tensors;

/// <summary>
/// A dense row-major N-d tensor of <typeparamref name="T"/> (float or double): a view of
/// <see cref="Length"/> elements of <see cref="Buffer"/> starting at <see cref="Offset"/>.
/// Views share storage; <see cref="Reshape"/> and <see cref="View"/> never copy.
/// </summary>
public sealed class Tensor<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The storage this tensor views.</summary>
    public T[] Buffer { get; private set; }
    /// <summary>Index of element 0 in <see cref="Buffer"/>.</summary>
    public int Offset { get; private set; }
    /// <summary>The shape (row-major; the last dimension is contiguous).</summary>
    public int[] Shape { get; private set; }
    /// <summary>The number of elements (product of the shape).</summary>
    public int Length { get; private set; }

    /// <summary>A new zero tensor of the given shape.</summary>
    public Tensor(params int[] shape)
    {
        Shape = (int[])shape.Clone();
        Length = CheckedLength(Shape);
        long bytes = (long)Length * Unsafe.SizeOf<T>();
        if (bytes > 1L << 26) MemoryLimit.CheckBytes($"a tensor of shape {ShapeString(Shape)}", bytes); // only large tensors pay for the check
        Buffer = new T[Length];
    }

    /// <summary>A view of <paramref name="buffer"/>[offset .. offset + prod(shape)).</summary>
    public Tensor(T[] buffer, int offset, int[] shape)
    {
        Shape = (int[])shape.Clone();
        Length = CheckedLength(Shape);
        if (offset < 0 || (long)offset + Length > buffer.Length)
            throw new ArgumentException($"Tensor view [{offset}, {offset + (long)Length}) lies outside a buffer of {buffer.Length} elements.");
        Buffer = buffer;
        Offset = offset;
    }

    /// <summary>A tensor holding a copy of <paramref name="data"/> with the given shape.</summary>
    public static Tensor<T> From(ReadOnlySpan<T> data, params int[] shape)
    {
        var t = new Tensor<T>(shape);
        if (data.Length != t.Length)
            throw new ArgumentException($"Tensor.From: {data.Length} values do not fill shape {ShapeString(shape)} ({t.Length} elements).");
        data.CopyTo(t.Span);
        return t;
    }

    /// <summary>The elements as a span.</summary>
    public Span<T> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Buffer.AsSpan(Offset, Length);
    }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Size of dimension <paramref name="i"/> (negative counts from the end).</summary>
    public int Dim(int i) => Shape[i < 0 ? Shape.Length + i : i];

    /// <summary>Element at a flat index.</summary>
    public T this[int i]
    {
        get => Buffer[Offset + i];
        set => Buffer[Offset + i] = value;
    }

    /// <summary>Element (i, j) of a rank-2 tensor.</summary>
    public T this[int i, int j]
    {
        get => Buffer[Offset + i * Shape[1] + j];
        set => Buffer[Offset + i * Shape[1] + j] = value;
    }

    /// <summary>A view with another shape of the same element count.</summary>
    public Tensor<T> Reshape(params int[] shape)
    {
        if (CheckedLength(shape) != Length)
            throw new ArgumentException($"Reshape: cannot view shape {ShapeString(Shape)} ({Length} elements) as {ShapeString(shape)}.");
        return new Tensor<T>(Buffer, Offset, shape);
    }

    /// <summary>A view of rows [start, start + count) along dimension 0.</summary>
    public Tensor<T> View(int start, int count)
    {
        if (Rank == 0) throw new InvalidOperationException("View: a scalar tensor has no rows.");
        if (start < 0 || count < 0 || start + count > Shape[0])
            throw new ArgumentOutOfRangeException(nameof(start), $"View [{start}, {start + count}) is outside dimension 0 of size {Shape[0]}.");
        int row = Shape[0] == 0 ? 0 : Length / Shape[0];
        var shape = (int[])Shape.Clone();
        shape[0] = count;
        return new Tensor<T>(Buffer, Offset + start * row, shape);
    }

    /// <summary>A deep copy with its own storage.</summary>
    public Tensor<T> Clone() => From(Span, Shape);

    /// <summary>Copies <paramref name="source"/>'s elements into this tensor (shapes must match).</summary>
    public void CopyFrom(Tensor<T> source)
    {
        RequireSameShape(source, "CopyFrom");
        source.Span.CopyTo(Span);
    }

    /// <summary>Makes this tensor a view of a new shape over <paramref name="buffer"/> (used to rebind parameters to flat storage).</summary>
    internal void Rebind(T[] buffer, int offset)
    {
        if (offset < 0 || (long)offset + Length > buffer.Length)
            throw new ArgumentException($"Rebind: [{offset}, {offset + (long)Length}) outside buffer of {buffer.Length}.");
        Buffer = buffer;
        Offset = offset;
    }

    /// <summary>Whether the shape equals <paramref name="shape"/>.</summary>
    public bool HasShape(ReadOnlySpan<int> shape) => Shape.AsSpan().SequenceEqual(shape);

    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="op"/> and both shapes if they differ.</summary>
    public void RequireSameShape(Tensor<T> other, string op)
    {
        if (!HasShape(other.Shape))
            throw new ArgumentException($"{op}: shape mismatch, expected {ShapeString(Shape)} but got {ShapeString(other.Shape)}.");
    }

    /// <summary>Formats a shape as "(2, 3)".</summary>
    public static string ShapeString(ReadOnlySpan<int> shape) => "(" + string.Join(", ", shape.ToArray()) + ")";

    /// <inheritdoc/>
    public override string ToString() => $"Tensor<{typeof(T).Name}>{ShapeString(Shape)}";

    private static int CheckedLength(int[] shape)
    {
        long n = 1;
        foreach (int s in shape)
        {
            if (s < 0) throw new ArgumentException($"Negative dimension in shape {ShapeString(shape)}.");
            n *= s;
            if (n > Array.MaxLength) throw new ArgumentException($"Shape {ShapeString(shape)} has more than {Array.MaxLength} elements.");
        }
        return (int)n;
    }
}
