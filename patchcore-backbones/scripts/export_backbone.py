#!/usr/bin/env python3
"""Export a feature backbone as TorchScript for patchcore-backbones (``Backbones.torchScriptBuilder``).

The written module's ``forward`` takes one float tensor ``(N, 3, H, W)`` of RGB values (in [0, 1],
normalised as the sidecar says) and returns a tuple of feature maps in the order of ``--layers``
(or, with ``--dict``, a dict keyed by layer name). CNN stages come out as ``(N, C, h, w)`` maps;
vision-transformer blocks come out as ``(N, T, C)`` tokens, which the Java side reshapes to a grid
after dropping the prefix (class and register) tokens: declare them with
``Builder.tokens(layer, prefixTokens)``.

Next to ``OUTPUT.pt`` a small JSON sidecar ``OUTPUT.json`` records what the Java side needs: layer
names in output order, token prefix counts, the expected preprocessing (resize, crop, mean/std),
and a check value (the mean of each output for a constant 0.5 input of the trace size).

Architectures:
  wide_resnet50_2, resnet18, resnet50   torchvision ImageNet weights (IMAGENET1K_V1, downloaded by
                                        torchvision unless --random-init); layers: layer1..layer4,
                                        default layer2,layer3 (as the PatchCore paper)
  h-optimus-0                           Bioptimus H-optimus-0 ViT-g/14 (1 class + 4 register tokens,
                                        1536 channels) through timm from the Hugging Face hub (gated:
                                        accept the licence and log in first; needs `pip install
                                        timm huggingface_hub`); layers: blocks.<i>, default
                                        blocks.19,blocks.29; traced for a 224x224 input
  tiny-cnn                              test fixture: a narrow ResNet (torchvision BasicBlocks of
                                        8/8/16/32 channels, seeded random init), same strides as
                                        resnet18: layer2 16 ch at 1/8, layer3 32 ch at 1/16
  tiny-vit                              test fixture: ViT token layout without attention, patch 4,
                                        8 channels, 1 class + 4 register tokens; token values are
                                        functions of the grid position (see TinyVit)

Examples:
  python3 export_backbone.py wide_resnet50_2 wrn50.pt
  python3 export_backbone.py resnet18 r18.pt --layers layer2,layer3 --random-init
  python3 export_backbone.py h-optimus-0 hoptimus0.pt --layers blocks.19,blocks.29

Java:
  Backbones.torchScriptBuilder(Path.of("wrn50.pt")).layers("layer2", "layer3")
      .resize(256).centerCrop(224).normalize(Normalization.IMAGENET).build();
  Backbones.torchScriptBuilder(Path.of("hoptimus0.pt")).layers("blocks.19", "blocks.29")
      .tokens("blocks.19", 5).tokens("blocks.29", 5).resize(224).centerCrop(224)
      .normalize(Normalization.of(mean, std)).build();   // mean/std from hoptimus0.json

Tested with Debian bookworm's python3-torch 1.13 and python3-torchvision 0.14 (all torchvision
architectures with --random-init) and timm 1.0 (the h-optimus-0 path, with a small random timm
ViT with 4 registers standing in for the gated weights); the files load in DJL 0.36 (libtorch
2.7). The trace is frozen (torch.jit.freeze), so blocks after the last requested layer are not in
the file.
"""

import argparse
import json
import sys

import torch
from torch import nn

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]
TORCHVISION_ARCHS = ("wide_resnet50_2", "resnet18", "resnet50")
RESNET_STAGES = ("layer1", "layer2", "layer3", "layer4")


class ResNetFeatures(nn.Module):
    """Runs a torchvision-style ResNet up to the last requested stage; returns the requested ones."""

    def __init__(self, net, layers, as_dict):
        super().__init__()
        for name in layers:
            if name not in RESNET_STAGES:
                raise SystemExit(f"unknown ResNet layer {name!r}; choose from {', '.join(RESNET_STAGES)}")
        order = [RESNET_STAGES.index(n) for n in layers]
        if order != sorted(order):
            raise SystemExit(f"ResNet layers must be given in network order, got {','.join(layers)}")
        last = max(order)
        self.stem = nn.Sequential(net.conv1, net.bn1, net.relu, net.maxpool)
        self.stages = nn.ModuleList([getattr(net, RESNET_STAGES[i]) for i in range(last + 1)])
        self.wanted = [RESNET_STAGES[i] in layers for i in range(last + 1)]
        self.names = list(layers)
        self.as_dict = as_dict

    def forward(self, x):
        x = self.stem(x)
        outs = []
        for stage, wanted in zip(self.stages, self.wanted):
            x = stage(x)
            if wanted:
                outs.append(x)
        if self.as_dict:
            return dict(zip(self.names, outs))
        return tuple(outs)


class TinyResNet(nn.Module):
    """A narrow ResNet with resnet18's strides, for test fixtures (random weights)."""

    def __init__(self):
        super().__init__()
        from torchvision.models.resnet import BasicBlock

        def down(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 1, stride=2, bias=False), nn.BatchNorm2d(cout))

        self.conv1 = nn.Conv2d(3, 8, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = BasicBlock(8, 8)
        self.layer2 = BasicBlock(8, 16, stride=2, downsample=down(8, 16))
        self.layer3 = BasicBlock(16, 32, stride=2, downsample=down(16, 32))
        self.layer4 = BasicBlock(32, 64, stride=2, downsample=down(32, 64))


class TinyVit(nn.Module):
    """ViT token layout without a transformer, for testing the token-to-grid reshape.

    Output (N, 5 + h*w, 8) with h = H // 4, w = W // 4: token 0 (class) is all -1, tokens 1..4
    (registers) are all -2, -3, -4, -5; then the patch tokens in row-major grid order. Patch token
    (i, j) has channel 0 = i, channel 1 = j, channel 2 = mean of the 4x4 input patch over the three
    colours, and channel c >= 3 = 100 * c + i * w + j.
    """

    PREFIX = 5

    def __init__(self):
        super().__init__()
        self.patch = 4
        self.channels = 8
        self.prefix = TinyVit.PREFIX

    def forward(self, x):
        n = x.shape[0]
        h = x.shape[2] // self.patch
        w = x.shape[3] // self.patch
        x = x[:, :, : h * self.patch, : w * self.patch]
        patch_mean = nn.functional.avg_pool2d(x.mean(dim=1, keepdim=True), self.patch)  # (n, 1, h, w)
        rows = torch.arange(h, dtype=x.dtype, device=x.device).view(1, 1, h, 1).expand(n, 1, h, w)
        cols = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, 1, w).expand(n, 1, h, w)
        c = torch.arange(3, self.channels, dtype=x.dtype, device=x.device).view(1, self.channels - 3, 1, 1)
        rest = 100.0 * c + rows * w + cols  # (n, channels - 3, h, w)
        grid = torch.cat([rows, cols, patch_mean, rest], dim=1)  # (n, channels, h, w)
        patches = grid.flatten(2).transpose(1, 2)  # (n, h*w, channels)
        prefix = -torch.arange(1, self.prefix + 1, dtype=x.dtype, device=x.device)
        prefix = prefix.view(1, self.prefix, 1).expand(n, self.prefix, self.channels)
        return (torch.cat([prefix, patches], dim=1),)


class VitBlocks(nn.Module):
    """Runs a timm VisionTransformer up to the last requested block; returns those blocks' tokens."""

    def __init__(self, vit, indices, names, as_dict):
        super().__init__()
        self.vit_embed = vit
        self.blocks = nn.ModuleList(list(vit.blocks[: max(indices) + 1]))
        self.wanted = [i in indices for i in range(max(indices) + 1)]
        self.names = list(names)
        self.as_dict = as_dict

    def forward(self, x):
        v = self.vit_embed
        x = v.patch_embed(x)
        x = v._pos_embed(x)
        x = v.patch_drop(x)
        x = v.norm_pre(x)
        outs = []
        for block, wanted in zip(self.blocks, self.wanted):
            x = block(x)
            if wanted:
                outs.append(x)
        if self.as_dict:
            return dict(zip(self.names, outs))
        return tuple(outs)


def torchvision_model(arch, random_init):
    import torchvision

    builder = getattr(torchvision.models, arch)
    weights = None if random_init else "IMAGENET1K_V1"
    return builder(weights=weights)


def hoptimus0(layers, random_init, as_dict):
    try:
        import timm
        import timm.data
    except ImportError:
        raise SystemExit("h-optimus-0 needs timm (pip install timm huggingface_hub) and access to the "
                         "gated Hugging Face repository bioptimus/H-optimus-0 (huggingface-cli login)")
    vit = timm.create_model("hf-hub:bioptimus/H-optimus-0", pretrained=not random_init,
                            init_values=1e-5, dynamic_img_size=False)
    indices = []
    for name in layers:
        if not name.startswith("blocks.") or not name[len("blocks."):].isdigit():
            raise SystemExit(f"ViT layers are named blocks.<index>, got {name!r}")
        i = int(name[len("blocks."):])
        if i >= len(vit.blocks):
            raise SystemExit(f"{name}: the model has only {len(vit.blocks)} blocks")
        indices.append(i)
    if indices != sorted(indices):
        raise SystemExit(f"ViT layers must be given in network order, got {','.join(layers)}")
    cfg = timm.data.resolve_data_config({}, model=vit)
    meta = {"mean": list(cfg["mean"]), "std": list(cfg["std"]), "resize": 224, "crop": 224,
            "prefix_tokens": int(vit.num_prefix_tokens)}
    return VitBlocks(vit, indices, layers, as_dict), meta


def build(args):
    """Returns (module to export, whether to script rather than trace it, layer names, metadata)."""
    layers = args.layers.split(",") if args.layers else None
    if layers is not None and (len(set(layers)) != len(layers) or "" in layers):
        raise SystemExit(f"--layers needs distinct, non-empty names, got {args.layers!r}")
    if args.arch in TORCHVISION_ARCHS or args.arch == "tiny-cnn":
        layers = layers or ["layer2", "layer3"]
        net = TinyResNet() if args.arch == "tiny-cnn" else torchvision_model(args.arch, args.random_init)
        meta = {"mean": IMAGENET_MEAN, "std": IMAGENET_STD, "resize": 256, "crop": 224, "prefix_tokens": None}
        return ResNetFeatures(net, layers, args.dict), False, layers, meta
    if args.arch == "h-optimus-0":
        layers = layers or ["blocks.19", "blocks.29"]
        module, meta = hoptimus0(layers, args.random_init, args.dict)
        return module, False, layers, meta
    if args.arch == "tiny-vit":
        if args.dict:
            raise SystemExit("tiny-vit has no --dict variant")
        if layers and layers != ["tokens"]:
            raise SystemExit("tiny-vit has one output, called tokens")
        meta = {"mean": None, "std": None, "resize": None, "crop": None, "prefix_tokens": TinyVit.PREFIX}
        return TinyVit(), True, ["tokens"], meta
    raise SystemExit(f"unknown architecture {args.arch!r}")


def weights_note(args):
    if args.arch == "tiny-vit":
        return "none"
    if args.random_init or args.arch.startswith("tiny-"):
        return "random (seed %d)" % args.seed
    return "pretrained"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("arch", choices=TORCHVISION_ARCHS + ("h-optimus-0", "tiny-cnn", "tiny-vit"))
    parser.add_argument("output", help="TorchScript file to write (a JSON sidecar goes next to it)")
    parser.add_argument("--layers", help="comma-separated layers, in network order")
    parser.add_argument("--random-init", action="store_true",
                        help="skip downloading weights (random initialisation; for tests and trials)")
    parser.add_argument("--trace-size", type=int, default=224,
                        help="side of the square example input used for tracing (default 224)")
    parser.add_argument("--dict", action="store_true",
                        help="return a dict keyed by layer name instead of a tuple")
    parser.add_argument("--seed", type=int, default=0, help="seed for random weights (default 0)")
    args = parser.parse_args(argv)

    torch.manual_seed(args.seed)
    module, script, layers, meta = build(args)
    module.eval()
    example = torch.full((1, 3, args.trace_size, args.trace_size), 0.5)
    with torch.no_grad():
        if script:
            exported = torch.jit.script(module)
        else:
            # strict=False allows a dict output
            exported = torch.jit.trace(module, example, strict=not args.dict)
        exported = torch.jit.freeze(exported.eval())
        outputs = exported(example)
    values = [outputs[n] for n in layers] if isinstance(outputs, dict) else list(outputs)
    if len(values) != len(layers):
        raise SystemExit(f"internal error: {len(values)} outputs for layers {layers}")
    exported.save(args.output)

    sidecar = {
        "architecture": args.arch,
        "weights": weights_note(args),
        "layers": layers,
        "output": "dict" if args.dict else "tuple",
        "prefix_tokens": {n: meta["prefix_tokens"] for n in layers} if meta["prefix_tokens"] is not None else {},
        "preprocessing": {"resize": meta["resize"], "crop": meta["crop"], "mean": meta["mean"], "std": meta["std"]},
        "check": {
            "input": [1, 3, args.trace_size, args.trace_size],
            "input_value": 0.5,
            "output_shapes": {n: list(v.shape) for n, v in zip(layers, values)},
            "output_means": {n: float(v.double().mean()) for n, v in zip(layers, values)},
        },
        "torch": torch.__version__,
    }
    json_path = args.output[:-3] + ".json" if args.output.endswith(".pt") else args.output + ".json"
    with open(json_path, "w") as f:
        json.dump(sidecar, f, indent=2)
        f.write("\n")
    for n, v in zip(layers, values):
        print(f"{n}: {tuple(v.shape)}", file=sys.stderr)
    print(f"wrote {args.output} and {json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
