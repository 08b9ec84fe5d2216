// webtrail's version, as it names itself to sites (its user agent) and to traces (service.version).
export const webtrailVersion = '0.1.0';
