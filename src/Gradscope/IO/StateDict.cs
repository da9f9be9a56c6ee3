using System.Numerics;

namespace Gradscope.IO;

using Gradscope.Nn;

/// <summary>Moves a <see cref="Sequential{T}"/>'s parameters to and from safetensors with PyTorch nn.Sequential names ("0.weight", ...).</summary>
public static class StateDict
{
    /// <summary>The model's parameters as safetensors entries, in the model's dtype.</summary>
    public static List<SafeTensor> From<T>(Sequential<T> model) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var dtype = typeof(T) == typeof(float) ? SafeTensorDType.F32 : SafeTensorDType.F64;
        return model.NamedParameters.Select(p =>
        {
            var data = new double[p.Value.Length];
            var s = p.Value.Span;
            for (int i = 0; i < data.Length; i++) data[i] = double.CreateChecked(s[i]);
            return new SafeTensor(p.Name, dtype, (int[])p.Value.Shape.Clone(), data);
        }).ToList();
    }

    /// <summary>Saves the model's parameters to a safetensors file (atomically).</summary>
    public static void Save<T>(Sequential<T> model, string path, IReadOnlyDictionary<string, string>? metadata = null) where T : unmanaged, IFloatingPointIeee754<T>
        => SafeTensors.Write(path, From(model), metadata);

    /// <summary>
    /// Loads parameters by name into the model. Every model parameter must be present with the same shape;
    /// extra tensors in the file are an error unless <paramref name="allowExtra"/>. Values are checked for NaN/Inf.
    /// Nothing is changed when any check fails.
    /// </summary>
    public static void Load<T>(Sequential<T> model, IReadOnlyList<SafeTensor> tensors, string source, bool allowExtra = false) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var byName = new Dictionary<string, SafeTensor>();
        foreach (var t in tensors) byName[t.Name] = t;
        foreach (var p in model.NamedParameters)
        {
            if (!byName.TryGetValue(p.Name, out var t))
                throw new InvalidDataException($"'{source}': the model needs tensor '{p.Name}' of shape ({string.Join(", ", p.Value.Shape)}) but the file has only {string.Join(", ", byName.Keys)}.");
            if (!t.Shape.AsSpan().SequenceEqual(p.Value.Shape))
                throw new InvalidDataException($"'{source}': tensor '{p.Name}' has shape ({string.Join(", ", t.Shape)}) but the model expects ({string.Join(", ", p.Value.Shape)}).");
            for (int i = 0; i < t.Data.Length; i++)
                if (!double.IsFinite(t.Data[i]))
                    throw new InvalidDataException($"'{source}': tensor '{p.Name}' holds {t.Data[i]} at flat index {i}.");
        }
        if (!allowExtra)
        {
            var known = model.NamedParameters.Select(p => p.Name).ToHashSet();
            var extra = byName.Keys.Where(k => !known.Contains(k)).ToList();
            if (extra.Count > 0) throw new InvalidDataException($"'{source}': tensors {string.Join(", ", extra)} match no parameter of the model ({string.Join(", ", known)}).");
        }
        foreach (var p in model.NamedParameters)
        {
            var t = byName[p.Name];
            var s = p.Value.Span;
            for (int i = 0; i < s.Length; i++) s[i] = T.CreateChecked(t.Data[i]);
        }
    }

    /// <summary>Reads a safetensors file and loads it into the model.</summary>
    public static void Load<T>(Sequential<T> model, string path, bool allowExtra = false) where T : unmanaged, IFloatingPointIeee754<T>
        => Load(model, SafeTensors.Read(path), path, allowExtra);
}
