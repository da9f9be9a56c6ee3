using Gradscope.IO;
using Gradscope.Nn;
using Gradscope.Tensors;

namespace Gradscope.Tests.Nn;

/// <summary>Model description files: parsing, building, errors with file/line/key, and state_dict names.</summary>
public class ModelSpecTests
{
    private const string Mlp = """
        input: [64]
        name: mlp
        layers:
          - {type: dense, out: 100}
          - {type: relu}
          - {type: dense, out: 10, bias: false}
        """;

    [Fact]
    public void BuildsSequentialWithPyTorchNames()
    {
        var spec = ModelSpec.Parse(Mlp, "mlp.yaml");
        Assert.Equal("mlp", spec.Name);
        var model = spec.Build<double>();
        Assert.Equal(["0.weight", "2.weight"], model.NamedParameters.Select(p => p.Name));
        Assert.Equal([100, 64], model["0.weight"].Value.Shape);
        Assert.Equal([10, 100], model["2.weight"].Value.Shape);
        Assert.Equal(64 * 100 + 100 * 10, model.ParameterCount);
        Assert.True(model.IsHomogeneous);
        Assert.Equal(6, spec.Layers[2].Line); // line 1 is input:, so the third layer is on line 6
    }

    [Fact]
    public void JsonAndBlockYamlAndBiasAndFlatten()
    {
        var json = ModelSpec.Parse("""{"input": [1, 4, 4], "layers": [{"type": "flatten"}, {"type": "dense", "out": 3, "bias": true}, {"type": "identity"}]}""", "m.json");
        var m = json.Build<float>();
        Assert.Equal(["1.weight", "1.bias"], m.NamedParameters.Select(p => p.Name));
        Assert.False(m.IsHomogeneous);
        Assert.Equal([3], m.OutputShape);
        // A flatten-dense net on (B, 1, 4, 4) input gives W x
        var x = new float[16]; x[5] = 2;
        var model = ModelSpec.Parse("input: [1, 4, 4]\nlayers:\n  - type: flatten\n  - type: dense\n    out: 2\n", "b.yaml").Build<float>();
        model["1.weight"].Value.Span[5] = 3; model["1.weight"].Value.Span[16 + 5] = -1;
        var y = model.Predict(Tensor<float>.From(x, [1, 1, 4, 4]));
        Assert.Equal([6f, -2f], y.Span.ToArray());
    }

    [Theory]
    [InlineData("input: [64]\nlayers:\n  - {type: dense, outs: 3}\n", "model.yaml:3:", "layers[0].outs: unknown key 'outs'")]
    [InlineData("input: [64]\nlayers:\n  - {type: relu}\n  - {type: dense}\n", "model.yaml:4:", "layers[1]: missing key 'out'")]
    [InlineData("input: [64]\nlayers:\n  - {type: dense, out: ten}\n", "model.yaml:3:", "layers[0].out: must be an integer, got 'ten'")]
    [InlineData("input: [64]\nlayers:\n  - {type: dense, out: 3, bias: maybe}\n", "model.yaml:3:", "layers[0].bias: must be true or false, got 'maybe'")]
    [InlineData("input: [64]\nlayers:\n  - {type: dense, out: 0}\n", "model.yaml:3:", "layers[0].out: must be >= 1, got 0")]
    [InlineData("input: [64]\nlayers:\n  - {type: densse, out: 3}\n", "model.yaml:3:", "layers[0].type: unknown layer type 'densse'")]
    [InlineData("input: [64, x]\nlayers: []\n", "model.yaml:1:", "input[1]: must be an integer, got 'x'")]
    [InlineData("layers: []\n", "model.yaml", "missing key 'input'")]
    [InlineData("input: [64]\nlayer: []\n", "model.yaml:2:", "layer: unknown key 'layer' at the top level")]
    [InlineData("input: [64]\nlayers:\n  - {type: relu, key: a}\n  - {type: relu, key: a}\n", "model.yaml:4:", "layers[1].key: state_dict key 'a' is already used by layer 0")]
    [InlineData("input: [64]\nlayers: [\n", "model.yaml:", "YAML syntax error")]
    public void ErrorsNameFileLineAndKey(string text, string where, string what)
    {
        var ex = Assert.Throws<InvalidDataException>(() => ModelSpec.Parse(text, "model.yaml"));
        Assert.Contains("model.yaml", ex.Message);
        Assert.Contains(where, ex.Message);
        Assert.Contains(what, ex.Message);
    }

    [Fact]
    public void BuildsConvolutionalNetsWithShapesAndNames()
    {
        var spec = ModelSpec.Parse("""
            input: [1, 8, 8]
            layers:
              - {type: conv2d, out_channels: 4, kernel: 3, padding: 1}
              - {type: relu}
              - {type: avgpool2d, kernel: 2}
              - {type: batchnorm, eps: 0.001}
              - {type: locally_connected2d, out_channels: 2, kernel: 3}
              - {type: global_avgpool2d}
              - {type: flatten}
              - {type: dense, out: 10}
            """, "cnn.yaml");
        var m = spec.Build<double>();
        // (1,8,8) -conv k3 p1-> (4,8,8) -pool 2-> (4,4,4) -LC k3-> (2,2,2) -GAP-> (2) -> (10)
        Assert.Equal([4, 8, 8], m.LayerInputShapes[2]);
        Assert.Equal([4, 4, 4], m.LayerInputShapes[4]);
        Assert.Equal([2, 2, 2], m.LayerInputShapes[5]);
        Assert.Equal([10], m.OutputShape);
        Assert.Equal([4, 1, 3, 3], m["0.weight"].Value.Shape);
        Assert.Contains(m.NamedParameters, p => p.Name == "3.bias");
        Assert.Contains(m.NamedBuffers, p => p.Name == "3.running_mean");
        Assert.Contains(m.NamedParameters, p => p.Name == "4.weight");
        Assert.Equal([10, 2], m["7.weight"].Value.Shape);
        Assert.False(m.IsHomogeneous); // batch norm
        Assert.Contains("missing key 'kernel'", Assert.Throws<InvalidDataException>(() => ModelSpec.Parse("input: [1, 8, 8]\nlayers:\n  - {type: conv2d, out_channels: 4}\n", "c.yaml")).Message);
    }

    [Fact]
    public void ShapeMismatchNamesTheLayerLine()
    {
        var spec = ModelSpec.Parse("input: [64]\nlayers:\n  - {type: relu}\n  - {type: conv2d, out_channels: 4, kernel: 3}\n", "s.yaml");
        var ex = Assert.Throws<InvalidDataException>(() => spec.Build<double>());
        Assert.Contains("s.yaml:4: layers[1]: conv2d: ", ex.Message);
        var pool = ModelSpec.Parse("input: [1, 2, 2]\nlayers:\n  - {type: avgpool2d, kernel: 5}\n", "p.yaml");
        Assert.Contains("p.yaml:3: layers[0]: avgpool2d: ", Assert.Throws<InvalidDataException>(() => pool.Build<double>()).Message);
    }

    [Fact]
    public void StateDictRoundTripWithDefaultKeys()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var spec = ModelSpec.Parse(Mlp, "mlp.yaml");
        var a = spec.Build<double>();
        Init.Apply(a, InitScheme.Gaussian, new Rng(1));
        StateDict.Save(a, dir.File("m.safetensors"));
        var names = SafeTensors.Read(dir.File("m.safetensors")).Select(t => t.Name).ToArray();
        Assert.Equal(["0.weight", "2.weight"], names.OrderBy(n => n));
        var b = spec.Build<double>();
        StateDict.Load(b, dir.File("m.safetensors"));
        Assert.Equal(a.Flat, b.Flat);
        Assert.NotEqual(0, a.Flat.Select(Math.Abs).Sum());
    }

    [Fact]
    public void StateDictRoundTripWithCustomKeys()
    {
        using var dir = new Gradscope.Tests.Data.TempDir();
        var spec = ModelSpec.Parse("""
            input: [5]
            layers:
              - {type: dense, out: 4, bias: true, key: features.0}
              - {type: relu}
              - {type: dense, out: 2, key: classifier}
            """, "k.yaml");
        var a = spec.Build<double>();
        Init.Apply(a, InitScheme.Gaussian, new Rng(2));
        Assert.Equal("features.0.bias", spec.FileName("0.bias"));
        Assert.Equal("classifier.weight", spec.FileName("2.weight"));
        var file = StateDict.From(a).Select(t => t with { Name = spec.FileName(t.Name) }).ToList();
        SafeTensors.Write(dir.File("k.safetensors"), file);
        var read = SafeTensors.Read(dir.File("k.safetensors"));
        Assert.Equal(["classifier.weight", "features.0.bias", "features.0.weight"], read.Select(t => t.Name).OrderBy(n => n, StringComparer.Ordinal));
        var renamed = read.Select(t => t with { Name = spec.ModelName(t.Name) ?? t.Name }).ToList();
        var b = spec.Build<double>();
        StateDict.Load(b, renamed, "k.safetensors");
        Assert.Equal(a.Flat, b.Flat);
        Assert.Null(spec.ModelName("other.weight"));
    }
}
