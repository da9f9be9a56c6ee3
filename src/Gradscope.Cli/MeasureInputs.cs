using Gradscope.Data;
using Gradscope.Nn;

namespace Gradscope.Cli;

/// <summary>
/// The datasets of <c>gradscope measure</c>: a data file (<see cref="DataArgument"/>: CSV with a header, X.npy,y.npy, .npz,
/// Parquet) or any dataset name Gradscope resolves (<c>gradscope data list</c>, generators), checked against the network: the number of features must equal
/// the model's input size, and labels must fit the outputs (1 output = binary, labels 0/1; C outputs = labels 0..C-1).
/// </summary>
internal static class MeasureInputs
{
    /// <summary>Loads <paramref name="source"/> and reshapes it to the model's input; throws InvalidDataException naming the columns and both shapes.</summary>
    public static Dataset Load(string source, Sequential<double> model, string modelSource, string option, bool isTest)
    {
        Dataset raw = DataArgument.Load(source, isTest, option);
        int per = model.InputShape.Aggregate(1, (a, b) => a * b);
        if (raw.D != per)
        {
            var first = model.Weights.Count > 0 ? model.Weights[0] : null;
            string layer = first is null ? "" : $"; its first layer '{first.Name}' has weight shape {Shape(first.Value.Shape)}";
            string cols = raw.SampleShape.Length == 1 ? $"{raw.D} feature columns" : $"samples of shape {Shape(raw.SampleShape)} ({raw.D} features)";
            throw new InvalidDataException($"{option} '{source}' has {cols}, but the model description '{modelSource}' takes inputs of shape {Shape(model.InputShape)} = {per} features{layer}.");
        }
        int outputs = model.Outputs;
        int maxLabel = raw.Y.Length == 0 ? 0 : raw.Y.Max();
        if (outputs == 1 && maxLabel > 1)
            throw new InvalidDataException($"{option} '{source}' has labels 0..{maxLabel}, but the net has 1 output (a binary net: labels 0/1, read as -1/+1).");
        if (outputs > 1 && maxLabel >= outputs)
            throw new InvalidDataException($"{option} '{source}' has label {maxLabel}, but the net has {outputs} outputs (labels 0..{outputs - 1}).");
        return new Dataset(raw.Name, raw.X, raw.Y, model.InputShape, outputs == 1 ? 2 : outputs);
    }

    /// <summary>"(a, b, c)".</summary>
    public static string Shape(IReadOnlyList<int> s) => "(" + string.Join(", ", s) + ")";
}
