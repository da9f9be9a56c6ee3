#:package Gradscope@0.2.0
#:property RestoreAdditionalProjectSources=../../artifacts/packages
#:property PublishAot=false
#:property ManagePackageVersionsCentrally=false
using Gradscope.Measures;
using Gradscope.Report;
using Gradscope.Training;

var cfg = TrainConfigYaml.Parse("""
    dtype: f64
    model: { mlp: { widths: [64, 32, 10], activation: relu } }
    data: { train: optdigits-train, test: optdigits-test }
    loss: { kind: cross_entropy }
    algorithm: { name: gd, eta: 0.1 }
    stop: { steps: 200 }
    probes: { every: 20 }
    """, "demo");
var trainer = new Trainer<double>(cfg);
var result = trainer.Run(new TrainerRunOptions { RunDirectory = "demo-run" });
var m = new MeasureSuite().Compute(trainer.Model, trainer.Train, trainer.Test);
Console.WriteLine($"test error {result.Final["test_error"]:F3}, rho {m.Values["rho"]:G4}, gamma_min {m.Values["gamma_min"]:G3}");
File.WriteAllText("demo.html", PlotPage.Render("demo", [new PlotRun("demo", RunMetrics.Read("demo-run"))], []));
