/**
 * @module core/tfevents/event-schema
 * The protobuf messages of TensorBoard event files that Reprise reads and writes, with
 * TensorBoard's field numbers (event.proto, summary.proto, tensor.proto, the hparams
 * plugin's plugin_data.proto and google/protobuf/struct.proto). Only the fields Reprise
 * uses are declared: protobufjs skips the others. Built on first use, so commands that
 * never touch event files do not pay for it.
 */
import protobuf from 'protobufjs/light.js';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated'; keyType?: string }>;

function message(fields: Fields, oneofs?: Record<string, string[]>): protobuf.IType {
  return oneofs ? { fields, oneofs: Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }])) } : { fields };
}

const DESCRIPTOR = {
  nested: {
    tensorboard: {
      nested: {
        Event: message(
          {
            wall_time: { type: 'double', id: 1 },
            step: { type: 'int64', id: 2 },
            file_version: { type: 'string', id: 3 },
            summary: { type: 'Summary', id: 5 },
          },
          { what: ['file_version', 'summary'] },
        ),
        Summary: message({ value: { type: 'SummaryValue', id: 1, rule: 'repeated' } }),
        SummaryValue: message(
          {
            tag: { type: 'string', id: 1 },
            node_name: { type: 'string', id: 7 },
            metadata: { type: 'SummaryMetadata', id: 9 },
            simple_value: { type: 'float', id: 2 },
            histo: { type: 'HistogramProto', id: 5 },
            tensor: { type: 'TensorProto', id: 8 },
          },
          { value: ['simple_value', 'histo', 'tensor'] },
        ),
        SummaryMetadata: message({
          plugin_data: { type: 'PluginData', id: 1 },
          display_name: { type: 'string', id: 2 },
          summary_description: { type: 'string', id: 3 },
        }),
        PluginData: message({ plugin_name: { type: 'string', id: 1 }, content: { type: 'bytes', id: 2 } }),
        HistogramProto: message({
          min: { type: 'double', id: 1 },
          max: { type: 'double', id: 2 },
          num: { type: 'double', id: 3 },
          sum: { type: 'double', id: 4 },
          sum_squares: { type: 'double', id: 5 },
          bucket_limit: { type: 'double', id: 6, rule: 'repeated' },
          bucket: { type: 'double', id: 7, rule: 'repeated' },
        }),
        TensorProto: message({
          dtype: { type: 'int32', id: 1 },
          tensor_shape: { type: 'TensorShapeProto', id: 2 },
          tensor_content: { type: 'bytes', id: 4 },
          float_val: { type: 'float', id: 5, rule: 'repeated' },
          double_val: { type: 'double', id: 6, rule: 'repeated' },
          int_val: { type: 'int32', id: 7, rule: 'repeated' },
          string_val: { type: 'bytes', id: 8, rule: 'repeated' },
          int64_val: { type: 'int64', id: 10, rule: 'repeated' },
          bool_val: { type: 'bool', id: 11, rule: 'repeated' },
          half_val: { type: 'int32', id: 13, rule: 'repeated' },
        }),
        TensorShapeProto: message({ dim: { type: 'Dim', id: 2, rule: 'repeated' } }),
        Dim: message({ size: { type: 'int64', id: 1 } }),
      },
    },
    hparams: {
      nested: {
        HParamsPluginData: message(
          {
            version: { type: 'int32', id: 1 },
            experiment: { type: 'Experiment', id: 2 },
            session_start_info: { type: 'SessionStartInfo', id: 3 },
            session_end_info: { type: 'SessionEndInfo', id: 4 },
          },
          { data: ['experiment', 'session_start_info', 'session_end_info'] },
        ),
        Experiment: message({
          description: { type: 'string', id: 1 },
          time_created_secs: { type: 'double', id: 3 },
          hparam_infos: { type: 'HParamInfo', id: 4, rule: 'repeated' },
          metric_infos: { type: 'MetricInfo', id: 5, rule: 'repeated' },
          name: { type: 'string', id: 6 },
        }),
        HParamInfo: message(
          {
            name: { type: 'string', id: 1 },
            type: { type: 'int32', id: 4 },
            domain_discrete: { type: 'google.protobuf.ListValue', id: 5 },
            domain_interval: { type: 'Interval', id: 6 },
          },
          { domain: ['domain_discrete', 'domain_interval'] },
        ),
        Interval: message({ min_value: { type: 'double', id: 1 }, max_value: { type: 'double', id: 2 } }),
        MetricInfo: message({ name: { type: 'MetricName', id: 1 }, display_name: { type: 'string', id: 3 } }),
        MetricName: message({ group: { type: 'string', id: 1 }, tag: { type: 'string', id: 2 } }),
        SessionStartInfo: {
          fields: {
            hparams: { type: 'google.protobuf.Value', id: 1, keyType: 'string' },
            group_name: { type: 'string', id: 4 },
            start_time_secs: { type: 'double', id: 5 },
          },
        },
        SessionEndInfo: message({ status: { type: 'int32', id: 1 }, end_time_secs: { type: 'double', id: 2 } }),
      },
    },
    google: {
      nested: {
        protobuf: {
          nested: {
            Value: message(
              {
                null_value: { type: 'int32', id: 1 },
                number_value: { type: 'double', id: 2 },
                string_value: { type: 'string', id: 3 },
                bool_value: { type: 'bool', id: 4 },
                list_value: { type: 'ListValue', id: 6 },
              },
              { kind: ['null_value', 'number_value', 'string_value', 'bool_value', 'list_value'] },
            ),
            ListValue: message({ values: { type: 'Value', id: 1, rule: 'repeated' } }),
          },
        },
      },
    },
  },
};

/** TensorFlow's DataType numbers used in event files. */
export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT16: 5, INT8: 6, STRING: 7, INT64: 9, BOOL: 10, UINT16: 17, HALF: 19 } as const;

/** The hparams plugin's session statuses. */
export const SESSION_STATUS = ['unknown', 'success', 'failure', 'running'] as const;

export interface EventTypes {
  readonly Event: protobuf.Type;
  readonly SummaryValue: protobuf.Type;
  readonly HParamsPluginData: protobuf.Type;
}

let types: EventTypes | undefined;

export function eventTypes(): EventTypes {
  if (!types) {
    // int64 fields (steps, dims) as plain numbers: a Long object per event is garbage per
    // event, and no step in an event file goes past 2^53.
    protobuf.util.Long = null as unknown as typeof protobuf.util.Long;
    protobuf.configure();
    const root = protobuf.Root.fromJSON(DESCRIPTOR as protobuf.INamespace);
    types = {
      Event: root.lookupType('tensorboard.Event'),
      SummaryValue: root.lookupType('tensorboard.SummaryValue'),
      HParamsPluginData: root.lookupType('hparams.HParamsPluginData'),
    };
  }
  return types;
}
